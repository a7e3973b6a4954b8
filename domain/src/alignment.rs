//! Alignment: how progress and confidence roll up a tree of objectives.
//!
//! An objective's **own** progress is the mean of its key results' clamped
//! progress ([`rules::rollup`]), as it always was. Its **aligned** progress
//! counts each objective aligned to it as one more item beside its key
//! results, with that child's own aligned progress. A key result that
//! objectives support works the same way: its aligned progress is the mean
//! of its own progress and its supporters', and that figure is the item it
//! brings to its objective. With nothing aligned, the aligned figure is the
//! own one.
//!
//! Confidence rolls up as it does within an objective: the worst of the key
//! results' and the supporters'.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rules;
use crate::{ConfidenceLevel, Invalid};

/// The rule: the mean of the clamped items, an objective's (or key
/// result's) own `items` followed by its supporters' aligned figures.
/// `None` when there is no item at all.
pub fn aligned_progress(
    items: impl IntoIterator<Item = f64>,
    supporters: impl IntoIterator<Item = f64>,
) -> Option<f64> {
    rules::rollup(items.into_iter().chain(supporters))
}

/// What an objective supports: an objective, or one of its key results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParentRef {
    pub objective_id: Uuid,
    pub key_result_id: Option<Uuid>,
}

/// A key result as the rollup reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyResultNode {
    pub id: Uuid,
    pub progress: Option<f64>,
    pub confidence: Option<ConfidenceLevel>,
}

/// An objective as the rollup reads it: its key results and its parent.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectiveNode {
    pub id: Uuid,
    pub parent: Option<ParentRef>,
    pub key_results: Vec<KeyResultNode>,
}

/// One node's figures with its supporters counted.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Rolled {
    pub progress: Option<f64>,
    pub confidence: Option<ConfidenceLevel>,
    /// How many objectives support it directly.
    pub supporters: usize,
}

/// Every objective's and key result's aligned figures, by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tree {
    pub objectives: HashMap<Uuid, Rolled>,
    pub key_results: HashMap<Uuid, Rolled>,
}

/// Rolls the figures up the tree `objectives` makes. A parent outside the
/// list counts as no parent; a cycle (which the writers refuse) is cut
/// where it closes, so every objective gets a figure.
pub fn roll_up(objectives: &[ObjectiveNode]) -> Tree {
    let index: HashMap<Uuid, usize> = objectives
        .iter()
        .enumerate()
        .map(|(at, node)| (node.id, at))
        .collect();
    // Supporters of each objective, and of each key result, by index.
    let mut of_objective: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut of_key_result: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for (at, node) in objectives.iter().enumerate() {
        let Some(parent) = node.parent else { continue };
        let Some(&parent_at) = index.get(&parent.objective_id) else {
            continue;
        };
        match parent.key_result_id {
            Some(key_result)
                if objectives[parent_at]
                    .key_results
                    .iter()
                    .any(|kr| kr.id == key_result) =>
            {
                of_key_result.entry(key_result).or_default().push(at);
            }
            Some(_) => {}
            None => of_objective.entry(parent_at).or_default().push(at),
        }
    }
    let mut rolling = Rolling {
        objectives,
        of_objective: &of_objective,
        of_key_result: &of_key_result,
        done: vec![None; objectives.len()],
        visiting: vec![false; objectives.len()],
        tree: Tree::default(),
    };
    for at in 0..objectives.len() {
        rolling.objective(at);
    }
    rolling.tree
}

struct Rolling<'a> {
    objectives: &'a [ObjectiveNode],
    of_objective: &'a HashMap<usize, Vec<usize>>,
    of_key_result: &'a HashMap<Uuid, Vec<usize>>,
    done: Vec<Option<Rolled>>,
    visiting: Vec<bool>,
    tree: Tree,
}

impl Rolling<'_> {
    /// The figures of the supporters in `supporters` that are not on the
    /// path being rolled (a cycle's closing edge).
    fn supporters(&mut self, supporters: Option<&Vec<usize>>) -> Vec<Rolled> {
        supporters
            .into_iter()
            .flatten()
            .filter_map(|&child| self.objective(child))
            .collect()
    }

    fn objective(&mut self, at: usize) -> Option<Rolled> {
        if let Some(done) = self.done[at] {
            return Some(done);
        }
        if self.visiting[at] {
            return None;
        }
        self.visiting[at] = true;
        let node = &self.objectives[at];
        let mut items = Vec::new();
        let mut confidences = Vec::new();
        for key_result in &node.key_results {
            let supporters = self.supporters(self.of_key_result.get(&key_result.id));
            let rolled = Rolled {
                progress: aligned_progress(
                    key_result.progress,
                    supporters.iter().filter_map(|s| s.progress),
                ),
                confidence: rules::worst_confidence(
                    key_result
                        .confidence
                        .into_iter()
                        .chain(supporters.iter().filter_map(|s| s.confidence)),
                ),
                supporters: supporters.len(),
            };
            items.extend(rolled.progress);
            confidences.extend(rolled.confidence);
            self.tree.key_results.insert(key_result.id, rolled);
        }
        let supporters = self.supporters(self.of_objective.get(&at));
        let rolled = Rolled {
            progress: aligned_progress(items, supporters.iter().filter_map(|s| s.progress)),
            confidence: rules::worst_confidence(
                confidences
                    .into_iter()
                    .chain(supporters.iter().filter_map(|s| s.confidence)),
            ),
            supporters: supporters.len(),
        };
        self.visiting[at] = false;
        self.done[at] = Some(rolled);
        self.tree.objectives.insert(node.id, rolled);
        Some(rolled)
    }
}

/// Where an objective sits, as the checks of an alignment read it.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    pub id: Uuid,
    pub title: &'a str,
    pub team_id: Uuid,
    pub team: &'a str,
    pub quarter_id: Uuid,
    pub quarter: &'a str,
    pub archived: bool,
}

/// Whether `child` may support `parent` (an objective, or the objective of
/// the key result chosen), given `parents`: every other alignment of the
/// quarter, child objective → parent objective. Each refusal names the
/// field `parent`: the objective itself, a parent in an archived quarter
/// or another quarter, one of the child's own team, and a cycle (which
/// `title_of` spells out).
pub fn check_parent(
    child: &Placement,
    parent: &Placement,
    parents: &HashMap<Uuid, Uuid>,
    title_of: impl Fn(Uuid) -> String,
) -> Result<(), Invalid> {
    let refuse = |message: String| Err(Invalid::new("parent", message));
    if child.id == parent.id {
        return refuse("an objective cannot support itself or one of its own key results".into());
    }
    if parent.archived {
        return refuse(format!(
            "quarter {} is archived and read-only; choose a parent in an open quarter",
            parent.quarter
        ));
    }
    if parent.quarter_id != child.quarter_id {
        return refuse(format!(
            "“{}” is in {}; an objective supports one in its own quarter, {}",
            parent.title, parent.quarter, child.quarter
        ));
    }
    if parent.team_id == child.team_id {
        return refuse(format!(
            "“{}” is {}'s own; an objective supports another team's or the company's",
            parent.title, parent.team
        ));
    }
    if let Some(path) = cycle(parents, child.id, parent.id) {
        let titles: Vec<String> = path
            .into_iter()
            .map(|id| format!("“{}”", title_of(id)))
            .collect();
        return refuse(format!(
            "this would make a cycle: {}",
            titles.join(" supports ")
        ));
    }
    Ok(())
}

/// The cycle that `child` supporting `parent` would close, from `child`
/// back to itself, when `parents` (child → parent objective, `child`'s own
/// entry ignored) leads from `parent` up to `child`.
pub fn cycle(parents: &HashMap<Uuid, Uuid>, child: Uuid, parent: Uuid) -> Option<Vec<Uuid>> {
    let mut path = vec![child, parent];
    let mut at = parent;
    // A longer walk than there are alignments has gone round a loop the
    // writers never made; it is not this alignment's cycle.
    for _ in 0..=parents.len() {
        if at == child {
            return Some(path);
        }
        match parents.get(&at) {
            Some(&next) if at != child => {
                at = next;
                path.push(at);
            }
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn kr(n: u128, progress: f64, confidence: ConfidenceLevel) -> KeyResultNode {
        KeyResultNode {
            id: id(n),
            progress: Some(progress),
            confidence: Some(confidence),
        }
    }

    fn objective(
        n: u128,
        parent: Option<ParentRef>,
        key_results: Vec<KeyResultNode>,
    ) -> ObjectiveNode {
        ObjectiveNode {
            id: id(n),
            parent,
            key_results,
        }
    }

    fn under(n: u128) -> Option<ParentRef> {
        Some(ParentRef {
            objective_id: id(n),
            key_result_id: None,
        })
    }

    #[test]
    fn a_supporter_counts_as_one_more_item_beside_the_key_results() {
        use ConfidenceLevel::*;
        let tree = roll_up(&[
            objective(1, None, vec![kr(11, 0.2, Green), kr(12, 0.4, Green)]),
            objective(2, under(1), vec![kr(21, 0.9, Amber)]),
            objective(3, under(2), vec![kr(31, 0.0, Red)]),
        ]);
        let company = tree.objectives[&id(1)];
        let team = tree.objectives[&id(2)];
        // 2: (0.9 + 0.0) / 2; 1: (0.2 + 0.4 + 0.45) / 3.
        assert!((team.progress.unwrap() - 0.45).abs() < 1e-12);
        assert!((company.progress.unwrap() - 0.35).abs() < 1e-12);
        assert_eq!(company.confidence, Some(Red));
        assert_eq!(company.supporters, 1);
        assert_eq!(tree.objectives[&id(3)].supporters, 0);
    }

    #[test]
    fn a_key_result_with_supporters_brings_their_mean_to_its_objective() {
        use ConfidenceLevel::*;
        let tree = roll_up(&[
            objective(1, None, vec![kr(11, 0.2, Green), kr(12, 0.4, Green)]),
            objective(
                2,
                Some(ParentRef {
                    objective_id: id(1),
                    key_result_id: Some(id(12)),
                }),
                vec![kr(21, 1.0, Amber)],
            ),
        ]);
        let key_result = tree.key_results[&id(12)];
        assert!((key_result.progress.unwrap() - 0.7).abs() < 1e-12);
        assert_eq!(key_result.supporters, 1);
        assert_eq!(key_result.confidence, Some(Amber));
        let company = tree.objectives[&id(1)];
        assert!((company.progress.unwrap() - 0.45).abs() < 1e-12);
        // Supporting a key result is not supporting the objective directly.
        assert_eq!(company.supporters, 0);
    }

    #[test]
    fn an_objective_without_key_results_takes_its_supporters_figures() {
        let tree = roll_up(&[
            objective(1, None, vec![]),
            objective(2, under(1), vec![kr(21, 0.3, ConfidenceLevel::Amber)]),
            objective(3, under(1), vec![]),
        ]);
        let company = tree.objectives[&id(1)];
        assert!((company.progress.unwrap() - 0.3).abs() < 1e-12);
        assert_eq!(company.supporters, 2);
        assert_eq!(tree.objectives[&id(3)].progress, None);
    }

    #[test]
    fn a_cycle_or_a_missing_parent_still_gives_every_objective_a_figure() {
        let tree = roll_up(&[
            objective(1, under(2), vec![kr(11, 0.2, ConfidenceLevel::Green)]),
            objective(2, under(1), vec![kr(21, 0.6, ConfidenceLevel::Green)]),
            objective(3, under(99), vec![kr(31, 0.5, ConfidenceLevel::Green)]),
        ]);
        assert_eq!(tree.objectives.len(), 3);
        assert_eq!(tree.objectives[&id(3)].progress, Some(0.5));
        for n in [1, 2] {
            let progress = tree.objectives[&id(n)].progress.unwrap();
            assert!((0.2..=0.6).contains(&progress), "{progress}");
        }
    }

    fn placed(n: u128, team: u128, quarter: u128) -> Placement<'static> {
        Placement {
            id: id(n),
            title: "O",
            team_id: id(team),
            team: "T",
            quarter_id: id(quarter),
            quarter: "2025-Q1",
            archived: false,
        }
    }

    #[test]
    fn each_refusal_names_the_parent_field() {
        let none = HashMap::new();
        let title = |_| "O".to_string();
        let child = placed(1, 100, 500);
        let refusals = [
            (placed(1, 100, 500), none.clone(), "itself"),
            (
                Placement {
                    archived: true,
                    ..placed(2, 200, 500)
                },
                none.clone(),
                "archived",
            ),
            (placed(2, 200, 501), none.clone(), "its own quarter"),
            (placed(2, 100, 500), none.clone(), "another team"),
            (
                placed(3, 300, 500),
                HashMap::from([(id(3), id(2)), (id(2), id(1))]),
                "cycle",
            ),
        ];
        for (parent, parents, says) in refusals {
            let error = check_parent(&child, &parent, &parents, title).unwrap_err();
            assert_eq!(error.field, "parent");
            assert!(error.message.contains(says), "{says}: {}", error.message);
        }
        // Re-aligning to a new parent ignores the child's own old row.
        let parents = HashMap::from([(id(1), id(3)), (id(3), id(2))]);
        assert!(check_parent(&child, &placed(2, 200, 500), &parents, title).is_ok());
    }

    #[test]
    fn a_cycle_is_spelled_from_the_child_back_to_it() {
        let parents = HashMap::from([(id(2), id(3)), (id(3), id(1))]);
        assert_eq!(
            cycle(&parents, id(1), id(2)),
            Some(vec![id(1), id(2), id(3), id(1)])
        );
        assert_eq!(cycle(&parents, id(4), id(2)), None);
        // A loop the walk never leaves is not this alignment's cycle.
        let looping = HashMap::from([(id(2), id(3)), (id(3), id(2))]);
        assert_eq!(cycle(&looping, id(1), id(2)), None);
    }

    fn progresses() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(-0.5f64..1.5, 0..6)
    }

    proptest! {
        #[test]
        fn bounded_by_its_inputs(items in progresses(), supporters in progresses()) {
            let all: Vec<f64> = items.iter().chain(&supporters).map(|p| rules::clamped(*p)).collect();
            match aligned_progress(items.clone(), supporters.clone()) {
                None => prop_assert!(all.is_empty()),
                Some(progress) => {
                    let low = all.iter().copied().fold(f64::INFINITY, f64::min);
                    let high = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    prop_assert!(low - 1e-12 <= progress && progress <= high + 1e-12);
                }
            }
        }

        #[test]
        fn monotone_in_each_supporter(
            items in progresses(),
            supporters in prop::collection::vec(0f64..1.0, 1..6),
            which in 0usize..6,
            more in 0f64..1.0,
        ) {
            let which = which % supporters.len();
            let before = aligned_progress(items.clone(), supporters.clone()).unwrap();
            let mut raised = supporters.clone();
            raised[which] = (raised[which] + more).min(1.0);
            let after = aligned_progress(items, raised).unwrap();
            prop_assert!(after + 1e-12 >= before, "{before} -> {after}");
        }

        #[test]
        fn equal_to_the_own_figure_when_nothing_is_aligned(items in progresses()) {
            prop_assert_eq!(aligned_progress(items.clone(), []), rules::rollup(items));
        }

        /// The same three properties on whole trees: a chain of objectives,
        /// each supporting the one before.
        #[test]
        fn trees_roll_up_within_bounds_and_monotone(
            levels in prop::collection::vec(progresses(), 1..5),
            aligned in any::<bool>(),
            raise in 0f64..1.0,
        ) {
            let build = |levels: &[Vec<f64>]| -> Vec<ObjectiveNode> {
                levels
                    .iter()
                    .enumerate()
                    .map(|(at, progresses)| objective(
                        at as u128 + 1,
                        if aligned && at > 0 { under(at as u128) } else { None },
                        progresses
                            .iter()
                            .enumerate()
                            .map(|(k, p)| kr(100 * (at as u128 + 1) + k as u128, *p, ConfidenceLevel::Green))
                            .collect(),
                    ))
                    .collect()
            };
            let tree = roll_up(&build(&levels));
            let top = tree.objectives[&id(1)].progress;
            if !aligned {
                for (at, progresses) in levels.iter().enumerate() {
                    prop_assert_eq!(
                        tree.objectives[&id(at as u128 + 1)].progress,
                        rules::rollup(progresses.clone())
                    );
                }
            } else {
                let all: Vec<f64> = levels.iter().flatten().map(|p| rules::clamped(*p)).collect();
                match top {
                    None => prop_assert!(all.is_empty()),
                    Some(progress) => {
                        let low = all.iter().copied().fold(f64::INFINITY, f64::min);
                        let high = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        prop_assert!(low - 1e-12 <= progress && progress <= high + 1e-12);
                    }
                }
                // Raising every key result of the deepest objective never
                // lowers the top.
                let mut raised = levels.clone();
                if let Some(last) = raised.last_mut() {
                    for p in last.iter_mut() {
                        *p += raise;
                    }
                }
                let after = roll_up(&build(&raised)).objectives[&id(1)].progress;
                if let (Some(before), Some(after)) = (top, after) {
                    prop_assert!(after + 1e-12 >= before, "{before} -> {after}");
                }
            }
        }
    }
}
