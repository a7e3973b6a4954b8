//! `/quarters/:label/alignment`: the quarter as a tree. The company's
//! objectives first, each with its key results and the team objectives
//! that support it (or one of its key results), down to theirs; then the
//! team objectives that support nothing, as "not aligned".
//!
//! Nested lists in native `<details>`, open by default: they fold without
//! JavaScript, and print whole. Written into one string, as the dashboard's
//! rows are, with the same helpers.
//!
//! Every objective shows its aligned progress (each supporting objective
//! counted as one more item beside its key results) and its confidence,
//! and, where its key results alone give another figure, that "own" figure
//! too: the dashboard's headline.

use std::fmt::Write as _;

use leptos::prelude::*;
use leptos::tachys::html::InertElement;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::dashboard_rows::{badge, percent, progress_bar, text};
use super::widgets::ErrorPanel;
use crate::dashboard_query::DashboardQuery;
use crate::model::{Alignment, Dashboard, KeyResultView, ObjectiveView, TeamView};
use crate::server_fns::dashboard_for;
use domain::alignment::ParentRef;

#[component]
pub fn AlignmentPage() -> impl IntoView {
    let params = use_params_map();
    let dashboard = Resource::new(
        move || params.read().get("label").unwrap_or_default(),
        |label| dashboard_for(DashboardQuery::for_quarter(&label)),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the alignment…"</p> }>
            {move || Suspend::new(async move {
                match dashboard.await {
                    Ok(dashboard) => view! { <AlignmentView dashboard /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AlignmentView(dashboard: Dashboard) -> impl IntoView {
    let Some(quarter) = dashboard.quarter.clone() else {
        return view! { <p class="empty">"No quarters yet."</p> }.into_any();
    };
    let encoded: String = form_urlencoded::byte_serialize(quarter.label.as_bytes()).collect();
    let tree = Tree {
        quarter: &encoded,
        teams: &dashboard.teams,
        alignment: &dashboard.alignment,
    };
    let company = tree.company();
    let loose = tree.not_aligned();
    let back = DashboardQuery::for_quarter(&quarter.label).href();
    view! {
        <Title text=format!("{} alignment · RunwayOKR", quarter.label) />
        <section class="panel alignment-page" aria-labelledby="alignment-heading">
            <h2 id="alignment-heading">{format!("{} alignment", quarter.label)}</h2>
            <p class="muted">
                "Each objective shows its progress with the objectives that support it counted as one more item each beside its key results, and its confidence. Where its own key results alone give another figure, that is shown as “own”: the dashboard's figure. "
                <a href=back>"Back to the dashboard"</a>
            </p>
        </section>
        <section class="panel" aria-labelledby="company-heading">
            <h2 id="company-heading">"Company objectives"</h2>
            {if company.is_empty() {
                view! {
                    <p class="empty">
                        "No company objectives in this quarter. An admin marks a team as the company level under Teams, and plans its objectives."
                    </p>
                }
                    .into_any()
            } else {
                InertElement::new(company).into_any()
            }}
        </section>
        <section class="panel" aria-labelledby="not-aligned-heading">
            <h2 id="not-aligned-heading">"Not aligned"</h2>
            {if loose.is_empty() {
                view! { <p class="empty">"Every team objective supports something."</p> }.into_any()
            } else {
                view! {
                    <p class="muted">"Team objectives that support no company or other team objective yet."</p>
                    {InertElement::new(loose)}
                }
                    .into_any()
            }}
        </section>
    }
    .into_any()
}

/// The tree of one quarter, written as nested lists.
pub struct Tree<'a> {
    /// The quarter's label, URL-encoded, for links to the dashboard.
    pub quarter: &'a str,
    pub teams: &'a [TeamView],
    pub alignment: &'a Alignment,
}

impl Tree<'_> {
    /// The company's objectives, each with what is under it.
    pub fn company(&self) -> String {
        let roots: Vec<_> = self
            .teams
            .iter()
            .filter(|team| self.alignment.is_company(team.id))
            .flat_map(|team| {
                team.objectives
                    .iter()
                    .map(move |objective| (team, objective))
            })
            .collect();
        self.list(&roots, 0)
    }

    /// The team objectives that support nothing, each with what is under it.
    pub fn not_aligned(&self) -> String {
        let roots: Vec<_> = self
            .teams
            .iter()
            .filter(|team| !self.alignment.is_company(team.id))
            .flat_map(|team| {
                team.objectives
                    .iter()
                    .map(move |objective| (team, objective))
            })
            .filter(|(_, objective)| self.alignment.supports(objective.id).is_none())
            .collect();
        self.list(&roots, 0)
    }

    fn list(&self, objectives: &[(&TeamView, &ObjectiveView)], depth: usize) -> String {
        let mut out = String::new();
        if objectives.is_empty() {
            return out;
        }
        out.push_str(r#"<ul class="tree">"#);
        for (team, objective) in objectives {
            self.objective(&mut out, team, objective, depth);
        }
        out.push_str("</ul>");
        out
    }

    fn objective(
        &self,
        out: &mut String,
        team: &TeamView,
        objective: &ObjectiveView,
        depth: usize,
    ) {
        let rolled = self.alignment.objective(objective.id);
        let _ = write!(
            out,
            r#"<li class="tree-objective" id="objective-{}"><details open><summary><span class="tree-team">"#,
            objective.id
        );
        text(out, &team.name);
        // Plain text: a link inside a summary is a control inside a control.
        out.push_str(r#"</span> <span class="tree-title">"#);
        text(out, &objective.title);
        out.push_str(r#"</span> <span class="tree-figures">"#);
        progress_bar(out, rolled.progress, "Progress with supporters");
        out.push_str(r#"<span class="figure">"#);
        percent(out, rolled.progress);
        out.push_str("</span>");
        if self.alignment.differs(objective).is_some() {
            out.push_str(r#"<span class="own-figure">own "#);
            percent(out, objective.progress());
            out.push_str("</span>");
        }
        badge(out, rolled.confidence);
        let _ = write!(
            out,
            r#"</span></summary><ul><li class="tree-open"><a href="/?quarter={}#objective-{}">"#,
            self.quarter, objective.id
        );
        out.push_str("On the dashboard<span class=\"visually-hidden\">: ");
        text(out, &objective.title);
        out.push_str("</span></a></li>");
        for key_result in &objective.key_results {
            self.key_result(out, objective, key_result, depth);
        }
        // A cycle cannot be written; the depth bound keeps a damaged
        // database from writing forever.
        if depth < 32 {
            let children = self.alignment.children_of(
                self.teams,
                ParentRef {
                    objective_id: objective.id,
                    key_result_id: None,
                },
            );
            if !children.is_empty() {
                let _ = write!(
                    out,
                    r#"<li class="tree-supporters"><span class="tree-label">Supported by {}</span>"#,
                    children.len()
                );
                out.push_str(&self.list(&children, depth + 1));
                out.push_str("</li>");
            }
        }
        out.push_str("</ul></details></li>");
    }

    fn key_result(
        &self,
        out: &mut String,
        objective: &ObjectiveView,
        key_result: &KeyResultView,
        depth: usize,
    ) {
        let rolled = self.alignment.key_result(key_result.id);
        let _ = write!(
            out,
            r#"<li class="tree-kr"><span class="tree-label">Key result</span> <a href="/kr/{}">"#,
            key_result.id
        );
        text(out, &key_result.title);
        out.push_str(r#"</a> <span class="tree-figures">"#);
        progress_bar(out, rolled.progress, "Progress");
        out.push_str(r#"<span class="figure">"#);
        percent(out, rolled.progress);
        out.push_str("</span>");
        if rolled.supporters > 0 {
            out.push_str(r#"<span class="own-figure">own "#);
            percent(out, key_result.progress());
            out.push_str("</span>");
        }
        badge(out, rolled.confidence);
        out.push_str("</span>");
        if depth < 32 {
            let children = self.alignment.children_of(
                self.teams,
                ParentRef {
                    objective_id: objective.id,
                    key_result_id: Some(key_result.id),
                },
            );
            out.push_str(&self.list(&children, depth + 1));
        }
        out.push_str("</li>");
    }
}
