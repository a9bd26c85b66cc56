//! The page's tables: the findings callouts (undocumented names, status
//! mismatches, wrong sections; long ones folded), the documented codes per section,
//! codes never seen, other errors, malformed lines, endpoints and inputs.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::charts::{class_mini_bar, legend, sparkline, Grid};
use super::kind;
use super::text::{ms_text, plural, slug, time_text, Esc};
use crate::classify::Class;
use crate::report::table::{percent, ratio, thousands};
use crate::report::{Code, Latency, Report};

/// Points at most in a code's sparkline.
const MAX_SPARK_POINTS: usize = 48;
/// Rows of a callout shown before the rest is folded away.
const SHOWN_ROWS: usize = 8;
/// Rows written at most per table; the JSON report has them all.
const MAX_ROWS: usize = 200;
/// Endpoints listed.
const TOP_ENDPOINTS: usize = 20;

/// What to know before trusting the page (a benchmark build's, an empty or an
/// incomplete run), in a box above everything else; nothing when the run is whole.
pub(super) fn notices(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let notices = crate::report::findings::notices(r);
    if notices.is_empty() && r.build.is_none() {
        return Ok(());
    }
    writeln!(out, "<section class=\"card notice\" id=\"notices\">\n<ul>")?;
    if let Some(build) = &r.build {
        writeln!(out, "<li><b>{}</b></li>", Esc(build))?;
    }
    for n in &notices {
        writeln!(out, "<li><b>{}</b></li>", Esc(n))?;
    }
    for input in r.inputs.iter().filter(|i| i.error.is_some()) {
        writeln!(
            out,
            "<li>input error: {}</li>",
            Esc(input.error.as_deref().unwrap_or_default())
        )?;
    }
    writeln!(out, "</ul>\n</section>")
}

/// The three ways the gateway breaks its documentation, each with examples.
pub(super) fn findings(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<div id=\"findings\">")?;
    undocumented(r, out)?;
    mismatches(r, out)?;
    wrong_section(r, out)?;
    writeln!(out, "</div>")
}

/// A callout's frame: title with a count, one line of explanation.
pub(super) fn callout_start(
    out: &mut dyn Write,
    id: &str,
    class: Class,
    lines: u64,
    title: &str,
    lead: &str,
) -> io::Result<()> {
    let (state, badge) = if lines > 0 {
        (
            kind(class),
            format!(
                "<span class=\"badge\">{}</span>",
                plural(lines, "line", "lines")
            ),
        )
    } else {
        ("clean", "<span class=\"badge ok\">none</span>".to_string())
    };
    writeln!(
        out,
        "<section class=\"card callout {state}\" id=\"{id}\">\n<h2>{title}{badge}</h2>\n<p class=\"lead\">{lead}</p>"
    )
}

/// A table whose first rows show and the rest fold away; at most [`MAX_ROWS`].
pub(super) fn folded_table(out: &mut dyn Write, head: &str, rows: &[String]) -> io::Result<()> {
    let table = |out: &mut dyn Write, rows: &[String]| -> io::Result<()> {
        writeln!(
            out,
            "<div class=\"scroll\"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>"
        )?;
        for row in rows {
            writeln!(out, "<tr>{row}</tr>")?;
        }
        writeln!(out, "</tbody></table></div>")
    };
    let shown = rows.len().min(SHOWN_ROWS);
    table(out, &rows[..shown])?;
    let kept = rows.len().min(MAX_ROWS);
    if kept > shown {
        writeln!(
            out,
            "<details><summary>Show {} more</summary>",
            kept - shown
        )?;
        table(out, &rows[shown..kept])?;
        writeln!(out, "</details>")?;
    }
    if rows.len() > kept {
        writeln!(
            out,
            "<p class=\"muted\">and {} more rows: <code>-o json</code> lists them all.</p>",
            thousands((rows.len() - kept) as u64)
        )?;
    }
    Ok(())
}

pub(super) fn undocumented(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let lines = r.totals.classes.undocumented;
    callout_start(
        out,
        "undocumented",
        Class::Undocumented,
        lines,
        &format!(
            "Undocumented names <span class=\"count muted\">{}</span>",
            plural(r.undocumented.len() as u64, "name", "names")
        ),
        "Error names that reach clients but no section of the catalog lists. A name that differs from a catalog name only by case is undocumented too.",
    )?;
    if lines > 0 {
        let head = "<th>name</th><th class=\"num\">lines</th><th>statuses</th><th>first seen</th><th>last seen</th><th>example</th><th>resembles</th>";
        let mut rows: Vec<String> = r
            .undocumented
            .iter()
            .map(|u| {
                format!(
                    "<td class=\"mono\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"mono\">{}</td>",
                    Esc(&u.name),
                    thousands(u.count),
                    chips(&u.statuses, None),
                    Esc(&u.first_seen.as_deref().map_or("-".into(), time_text)),
                    Esc(&u.last_seen.as_deref().map_or("-".into(), time_text)),
                    Esc(&u.example),
                    Esc(u.resembles.as_deref().unwrap_or("")),
                )
            })
            .collect();
        if let Some(o) = &r.undocumented_other {
            rows.push(format!(
                "<td><i>other names beyond --max-names {}</i></td><td class=\"num\">{}</td><td>{}</td><td></td><td></td><td><code>{}</code></td><td></td>",
                o.max_names,
                thousands(o.count),
                chips(&o.statuses, None),
                Esc(&o.example)
            ));
        }
        folded_table(out, head, &rows)?;
    }
    writeln!(out, "</section>")
}

pub(super) fn mismatches(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let lines = r.totals.classes.status_mismatch;
    callout_start(
        out,
        "status-mismatches",
        Class::StatusMismatch,
        lines,
        &format!(
            "Status mismatches <span class=\"count muted\">{}</span>",
            plural(r.status_mismatches.len() as u64, "pair", "pairs")
        ),
        "A documented name sent with another HTTP status than its section documents.",
    )?;
    if lines > 0 {
        let head = "<th>section</th><th>name</th><th class=\"num\">documented</th><th class=\"num\">sent</th><th class=\"num\">lines</th><th>example</th>";
        let rows: Vec<String> = r
            .status_mismatches
            .iter()
            .map(|m| {
                format!(
                    "<td>{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"num\"><span class=\"chip off\">{}</span></td><td class=\"num\">{}</td><td><code>{}</code></td>",
                    Esc(&m.section),
                    Esc(&m.name),
                    m.documented_status,
                    m.observed_status,
                    thousands(m.count),
                    Esc(&m.example)
                )
            })
            .collect();
        folded_table(out, head, &rows)?;
    }
    writeln!(out, "</section>")
}

pub(super) fn wrong_section(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let lines = r.totals.classes.wrong_section;
    callout_start(
        out,
        "wrong-section",
        Class::WrongSection,
        lines,
        &format!(
            "Names from another section <span class=\"count muted\">{}</span>",
            plural(r.wrong_section.len() as u64, "pair", "pairs")
        ),
        "A catalog name used on a request whose section does not list it; another section does.",
    )?;
    if lines > 0 {
        let head = "<th>request section</th><th>name</th><th class=\"num\">status</th><th>listed in</th><th class=\"num\">lines</th><th>example</th>";
        let rows: Vec<String> = r
            .wrong_section
            .iter()
            .map(|w| {
                let listed: Vec<String> = w
                    .listed_in
                    .iter()
                    .map(|(s, st)| format!("{} {st}", Esc(s)))
                    .collect();
                format!(
                    "<td>{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td><code>{}</code></td>",
                    Esc(&w.section),
                    Esc(&w.name),
                    w.status,
                    listed.join(", "),
                    thousands(w.count),
                    Esc(&w.example)
                )
            })
            .collect();
        folded_table(out, head, &rows)?;
    }
    writeln!(out, "</section>")
}

/// One table per catalog section with every code of that section, busiest first.
pub(super) fn code_tables(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<section class=\"card\" id=\"codes\">")?;
    writeln!(out, "<h2>Catalog codes by section</h2>")?;
    writeln!(
        out,
        "<p class=\"lead\">Every code of the catalog: lines sent with its name in its section (with the documented status or another), share of requests and of errors, latency, and lines over time.</p>"
    )?;
    let grid = r
        .time_series
        .as_ref()
        .and_then(|s| Grid::new(s, MAX_SPARK_POINTS));
    for section in &r.catalog.sections {
        let mut codes: Vec<&Code> = r.codes.iter().filter(|c| &c.section == section).collect();
        codes.sort_by_key(|c| std::cmp::Reverse(c.count));
        let seen = codes.iter().filter(|c| c.count > 0).count();
        let lines: u64 = codes.iter().map(|c| c.count).sum();
        writeln!(
            out,
            "<h3 id=\"codes-{}\">{} <span class=\"muted\">· {} of {} codes seen · {} lines</span></h3>",
            slug(section),
            Esc(section),
            seen,
            codes.len(),
            thousands(lines)
        )?;
        writeln!(out, "<div class=\"scroll\"><table class=\"pinned\">\n<thead><tr><th>name</th><th class=\"num\">status</th><th class=\"num\">lines</th><th class=\"num\">% req</th><th class=\"num\">% err</th><th class=\"num\">p50</th><th class=\"num\">p90</th><th class=\"num\">p99</th><th>over time</th><th>statuses sent</th></tr></thead>\n<tbody>")?;
        for code in codes {
            code_row(code, grid.as_ref(), out)?;
        }
        writeln!(out, "</tbody></table></div>")?;
    }
    writeln!(out, "</section>")
}

pub(super) fn code_row(c: &Code, grid: Option<&Grid>, out: &mut dyn Write) -> io::Result<()> {
    let (p50, p90, p99) = match &c.latency {
        Some(Latency {
            p50_ms,
            p90_ms,
            p99_ms,
            ..
        }) => (ms_text(*p50_ms), ms_text(*p90_ms), ms_text(*p99_ms)),
        None => ("-".into(), "-".into(), "-".into()),
    };
    let spark = match (grid, &c.series) {
        (Some(grid), Some(series)) if c.count > 0 => {
            sparkline(&grid.regroup(series.iter().copied()))
        }
        _ => String::new(),
    };
    let documented = c.status.to_string();
    writeln!(
        out,
        "<tr{}><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{p50}</td><td class=\"num\">{p90}</td><td class=\"num\">{p99}</td><td>{spark}</td><td class=\"statuses\">{}</td></tr>",
        if c.count == 0 { " class=\"zero\"" } else { "" },
        Esc(&c.name),
        c.status,
        thousands(c.count),
        percent(c.share_of_requests),
        percent(c.share_of_errors),
        if c.count == 0 { "never seen".to_string() } else { chips(&c.statuses, Some(&documented)) },
    )
}

/// Status chips `403×12`, most lines first; with a `documented` status, that one
/// leads and the others stand out.
pub(super) fn chips(statuses: &BTreeMap<String, u64>, documented: Option<&str>) -> String {
    let mut sorted: Vec<(&String, &u64)> = statuses.iter().collect();
    sorted.sort_by_key(|&(s, n)| (Some(s.as_str()) != documented, std::cmp::Reverse(*n)));
    sorted
        .into_iter()
        .map(|(s, n)| {
            let off = documented.is_some_and(|d| d != s);
            format!(
                "<span class=\"chip{}\">{}×{}</span>",
                if off { " off" } else { "" },
                Esc(s),
                thousands(*n)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn never_seen(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let unseen: Vec<&Code> = r.codes.iter().filter(|c| c.count == 0).collect();
    writeln!(out, "<section class=\"card\" id=\"never-seen\">")?;
    writeln!(
        out,
        "<h2>Catalog codes never seen <span class=\"muted\">{} of {}</span></h2>",
        unseen.len(),
        r.codes.len()
    )?;
    if unseen.is_empty() {
        writeln!(
            out,
            "<p class=\"lead\">Every catalog code occurred in these logs.</p>"
        )?;
    } else {
        writeln!(
            out,
            "<p class=\"lead\">Documented codes no request in these logs was answered with: candidates for dead documentation, or paths the logs did not cover.</p>\n<ul class=\"pills\">"
        )?;
        for c in unseen {
            writeln!(
                out,
                "<li><span class=\"mono\">{}</span><small>{} {}</small></li>",
                Esc(&c.name),
                Esc(&c.section),
                c.status
            )?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</section>")
}

/// Errors without a name, and lines that could not be parsed.
pub(super) fn other_errors(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<div class=\"grid2\">")?;
    callout_start(
        out,
        "unnamed",
        Class::UnnamedError,
        r.totals.classes.unnamed_error,
        "Errors without a name",
        "Responses with status ≥ 400 that carried no error name: an unknown route's 404, a gateway timeout.",
    )?;
    if !r.unnamed_errors.is_empty() {
        let head = "<th class=\"num\">status</th><th class=\"num\">lines</th><th class=\"num\">% err</th><th class=\"num\">p50</th><th class=\"num\">p99</th><th>example</th>";
        let rows: Vec<String> = r
            .unnamed_errors
            .iter()
            .map(|u| {
                let (p50, p99) = u
                    .latency
                    .as_ref()
                    .map_or(("-".into(), "-".into()), |l| (ms_text(l.p50_ms), ms_text(l.p99_ms)));
                format!(
                    "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{p50}</td><td class=\"num\">{p99}</td><td><code>{}</code></td>",
                    u.status,
                    thousands(u.count),
                    percent(u.share_of_errors),
                    Esc(&u.example)
                )
            })
            .collect();
        folded_table(out, head, &rows)?;
    }
    writeln!(out, "</section>")?;
    malformed(r, out)?;
    writeln!(out, "</div>")
}

pub(super) fn malformed(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let m = &r.malformed;
    callout_start(
        out,
        "malformed",
        Class::Malformed,
        m.count,
        "Malformed lines",
        "Lines that could not be read into at least a status, by reason, with the first ones.",
    )?;
    if m.count > 0 {
        let mut reasons: Vec<_> = m.reasons.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let rows: Vec<String> = reasons
            .into_iter()
            .map(|(reason, n)| {
                format!(
                    "<td>{}</td><td class=\"num\">{}</td>",
                    Esc(reason),
                    thousands(*n)
                )
            })
            .collect();
        folded_table(out, "<th>reason</th><th class=\"num\">lines</th>", &rows)?;
        let examples: Vec<String> = m
            .examples
            .iter()
            .map(|e| {
                format!(
                    "<td><code>{}</code></td><td>{}</td>",
                    Esc(&e.location),
                    Esc(&e.reason)
                )
            })
            .collect();
        writeln!(out, "<h3>First malformed lines</h3>")?;
        folded_table(out, "<th>location</th><th>reason</th>", &examples)?;
    }
    writeln!(out, "</section>")
}

pub(super) fn endpoints(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    if r.endpoints.is_empty() {
        return Ok(());
    }
    writeln!(out, "<section class=\"card\" id=\"endpoints\">")?;
    writeln!(
        out,
        "<h2>Endpoints <span class=\"muted\">top {} of {}</span></h2>\n<p class=\"lead\">Most requested first; IDs in paths are collapsed to <code>{{id}}</code>.</p>",
        TOP_ENDPOINTS.min(r.endpoints.len()),
        thousands(r.endpoints.len() as u64)
    )?;
    legend(&Class::ALL[..6], out)?;
    writeln!(out, "<div class=\"scroll\"><table class=\"pinned\">\n<thead><tr><th>endpoint</th><th class=\"num\">requests</th><th class=\"num\">errors</th><th class=\"num\">% err</th><th>by class</th><th class=\"num\">mismatch</th><th class=\"num\">wrong sect.</th><th class=\"num\">undoc.</th><th class=\"num\">unnamed</th></tr></thead>\n<tbody>")?;
    for e in r
        .endpoints
        .iter()
        .take(TOP_ENDPOINTS)
        .chain(&r.endpoints_other)
    {
        writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            Esc(&e.endpoint),
            thousands(e.requests),
            thousands(e.errors),
            percent(ratio(e.errors, e.requests)),
            class_mini_bar(&e.classes, e.requests),
            thousands(e.classes.status_mismatch),
            thousands(e.classes.wrong_section),
            thousands(e.classes.undocumented),
            thousands(e.classes.unnamed_error),
        )?;
    }
    writeln!(out, "</tbody></table></div>\n</section>")
}

pub(super) fn inputs(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "<section class=\"card\" id=\"inputs\">\n<h2>Inputs</h2>"
    )?;
    writeln!(out, "<div class=\"scroll\"><table>\n<thead><tr><th>path</th><th>format</th><th>compressed</th><th>latency from</th><th class=\"num\">bytes</th><th class=\"num\">lines</th><th>error</th></tr></thead>\n<tbody>")?;
    for i in &r.inputs {
        writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            Esc(&i.path),
            Esc(i.format.as_deref().unwrap_or("-")),
            Esc(i.compression.as_deref().unwrap_or("-")),
            Esc(i.latency_source.as_deref().unwrap_or("-")),
            thousands(i.bytes),
            thousands(i.lines),
            Esc(i.error.as_deref().unwrap_or("")),
        )?;
    }
    writeln!(out, "</tbody></table></div>")?;
    let statuses: Vec<String> = r
        .status_classes
        .iter()
        .map(|(k, n)| {
            format!(
                "{} {} ({})",
                Esc(k),
                thousands(*n),
                percent(ratio(*n, r.totals.requests))
            )
        })
        .collect();
    if !statuses.is_empty() {
        writeln!(
            out,
            "<p class=\"muted\" style=\"margin-top:10px\">Statuses: {}.",
            statuses.join(" · ")
        )?;
        if r.totals.unrouted > 0 {
            write!(
                out,
                " {} requests matched no route and were checked against all sections.",
                thousands(r.totals.unrouted)
            )?;
        }
        if r.totals.bad_time > 0 {
            write!(
                out,
                " {} requests had a time that could not be read (first at <code>{}</code>).",
                thousands(r.totals.bad_time),
                Esc(&r.bad_time_examples.join(", "))
            )?;
        }
        writeln!(out, "</p>")?;
    }
    writeln!(out, "</section>")
}
