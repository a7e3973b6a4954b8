//! A quarter's alignment as the pages and the API show it: which teams
//! stand for the company, what each objective supports, and every
//! objective's and key result's aligned figures.
//!
//! Which figure shows where:
//! - an objective's **own** progress (its key results, as always) is the
//!   headline everywhere: the dashboard, the review, the API's `progress`;
//! - its **aligned** progress (each supporter one more item,
//!   `domain::alignment`) is shown beside it wherever the two differ, and
//!   is the headline of the alignment tree, which is about the tree.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{FilterOption, ObjectiveView, TeamView};
use domain::alignment::{self, KeyResultNode, ObjectiveNode, ParentRef, Rolled};

/// What an objective supports, with the words its link shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentLink {
    pub parent: ParentRef,
    pub team: String,
    /// The parent objective's title, or the key result's.
    pub title: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Alignment {
    /// The teams at the company level.
    pub companies: HashSet<Uuid>,
    pub parents: HashMap<Uuid, ParentLink>,
    pub objectives: HashMap<Uuid, Rolled>,
    pub key_results: HashMap<Uuid, Rolled>,
    /// The company's objectives, for the dashboard's filter.
    pub company_objectives: Vec<FilterOption>,
}

impl Alignment {
    /// The alignment of a quarter whose every objective is in `teams`, from
    /// the parents the database holds (child → parent).
    pub fn of(
        teams: &[TeamView],
        companies: HashSet<Uuid>,
        parents: HashMap<Uuid, ParentRef>,
    ) -> Alignment {
        let mut titles: HashMap<Uuid, (&str, &str)> = HashMap::new();
        let mut nodes = Vec::new();
        for team in teams {
            for objective in &team.objectives {
                titles.insert(objective.id, (&team.name, &objective.title));
                for key_result in &objective.key_results {
                    titles.insert(key_result.id, (&team.name, &key_result.title));
                }
                nodes.push(ObjectiveNode {
                    id: objective.id,
                    parent: parents.get(&objective.id).copied(),
                    key_results: objective
                        .key_results
                        .iter()
                        .map(|key_result| KeyResultNode {
                            id: key_result.id,
                            progress: key_result.progress(),
                            confidence: key_result.confidence(),
                        })
                        .collect(),
                });
            }
        }
        let tree = alignment::roll_up(&nodes);
        let company_objectives = teams
            .iter()
            .filter(|team| companies.contains(&team.id))
            .flat_map(|team| &team.objectives)
            .map(|objective| FilterOption {
                id: objective.id,
                name: objective.title.clone(),
            })
            .collect();
        let parents = parents
            .into_iter()
            .filter_map(|(child, parent)| {
                let (team, title) =
                    titles.get(&parent.key_result_id.unwrap_or(parent.objective_id))?;
                Some((
                    child,
                    ParentLink {
                        parent,
                        team: (*team).to_owned(),
                        title: (*title).to_owned(),
                    },
                ))
            })
            .collect();
        Alignment {
            companies,
            parents,
            objectives: tree.objectives,
            key_results: tree.key_results,
            company_objectives,
        }
    }

    pub fn is_company(&self, team: Uuid) -> bool {
        self.companies.contains(&team)
    }

    pub fn supports(&self, objective: Uuid) -> Option<&ParentLink> {
        self.parents.get(&objective)
    }

    /// An objective's aligned figures (its own when nothing supports it).
    pub fn objective(&self, objective: Uuid) -> Rolled {
        self.objectives.get(&objective).copied().unwrap_or_default()
    }

    pub fn key_result(&self, key_result: Uuid) -> Rolled {
        self.key_results
            .get(&key_result)
            .copied()
            .unwrap_or_default()
    }

    /// How many objectives support it: itself, or one of its key results.
    pub fn supporters(&self, objective: &ObjectiveView) -> usize {
        self.objective(objective.id).supporters
            + objective
                .key_results
                .iter()
                .map(|key_result| self.key_result(key_result.id).supporters)
                .sum::<usize>()
    }

    /// Its aligned progress, when it differs from its own.
    pub fn differs(&self, objective: &ObjectiveView) -> Option<f64> {
        let aligned = self.objective(objective.id).progress?;
        match objective.progress() {
            Some(own) if (own - aligned).abs() < 1e-9 => None,
            _ => Some(aligned),
        }
    }

    /// Whether `objective` is `root` or supports it, directly or further
    /// down the tree.
    pub fn is_under(&self, objective: Uuid, root: Uuid) -> bool {
        let mut at = objective;
        for _ in 0..=self.parents.len() {
            if at == root {
                return true;
            }
            match self.parents.get(&at) {
                Some(link) => at = link.parent.objective_id,
                None => return false,
            }
        }
        false
    }

    /// The objectives that support `objective` itself (not one of its key
    /// results), in the order of `teams`.
    pub fn children_of<'a>(
        &self,
        teams: &'a [TeamView],
        parent: ParentRef,
    ) -> Vec<(&'a TeamView, &'a ObjectiveView)> {
        teams
            .iter()
            .flat_map(|team| {
                team.objectives
                    .iter()
                    .map(move |objective| (team, objective))
            })
            .filter(|(_, objective)| {
                self.parents
                    .get(&objective.id)
                    .is_some_and(|link| link.parent == parent)
            })
            .collect()
    }
}
