//! Tests of catalog loading: the embedded page, JSON round trip, errors.

use std::fmt::Write as _;

use super::markdown::{parse_page, PageError};
use super::*;

fn section<'a>(sections: &'a [Section], id: &str) -> &'a Section {
    sections
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no section {id:?}"))
}

fn entry<'a>(section: &'a Section, name: &str) -> &'a Entry {
    section
        .entries
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no {name} in {}", section.id))
}

/// Parse `page`, expecting an error on `line` whose message contains `fragment`.
fn page_error(page: &str, line: usize, fragment: &str) -> PageError {
    let err = parse_page(page).expect_err("the page should not parse");
    assert_eq!(err.line, line, "wrong line for {err:?}");
    assert!(
        err.message.contains(fragment),
        "message {:?} lacks {fragment:?}",
        err.message
    );
    err
}

/// A minimal valid section body.
const TABLE: &str = "| name | status | description |\n|---|---|---|\n| OK_NAME | 400 | fine |\n";

// ---------------------------------------------------------------------------------
// The embedded page

#[test]
fn embedded_page_has_three_sections() {
    let sections = parse_page(EMBEDDED_PAGE).unwrap();
    let shape: Vec<(&str, usize)> = sections
        .iter()
        .map(|s| (s.id.as_str(), s.entries.len()))
        .collect();
    assert_eq!(shape, [("media", 24), ("llm", 9), ("billing", 5)]);
    let titles: Vec<&str> = sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["图片 / 视频 / 音频", "大语言", "账单"]);
}

#[test]
fn embedded_page_spot_checks() {
    let sections = parse_page(EMBEDDED_PAGE).unwrap();
    let (media, llm, billing) = (
        section(&sections, "media"),
        section(&sections, "llm"),
        section(&sections, "billing"),
    );

    let media_key = entry(media, "INVALID_API_KEY");
    let llm_key = entry(llm, "INVALID_API_KEY");
    assert_eq!((media_key.status, llm_key.status), (403, 403));
    assert_eq!(media_key.description, "API Key 校验失败");
    assert_eq!(llm_key.description, "未提供 API Key");

    assert_eq!(entry(media, "BILLING_BALANCE_NOT_ENOUGH").status, 400);
    assert_eq!(entry(llm, "NOT_ENOUGH_BALANCE").status, 403);

    let body = entry(llm, "INVALID_REQUEST_BODY");
    assert_eq!(body.status, 400);
    assert_eq!(body.description, "请求体格式错误，详见 message");

    assert_eq!(
        entry(billing, "LIST_BILL_ERROR").description,
        "查询错误，请联系我们"
    );
}

#[test]
fn embedded_page_line_numbers() {
    let sections = parse_page(EMBEDDED_PAGE).unwrap();
    let media = section(&sections, "media");
    assert_eq!(media.entries[0].name, "INVALID_REQUEST_BODY");
    assert_eq!(media.entries[0].line, Some(8));
    assert_eq!(media.entries.last().unwrap().line, Some(31));
    assert_eq!(entry(media, "INVALID_API_KEY").line, Some(23));
    let llm = section(&sections, "llm");
    assert_eq!(llm.entries[0].line, Some(37));
    assert_eq!(entry(llm, "INVALID_REQUEST_BODY").line, Some(41));
    assert_eq!(section(&sections, "billing").entries[4].line, Some(55));
    // Every line number points at the row itself.
    let lines: Vec<&str> = EMBEDDED_PAGE.lines().collect();
    for e in sections.iter().flat_map(|s| &s.entries) {
        let row = lines[e.line.unwrap() - 1];
        assert!(
            row.contains(&format!("| {} ", e.name)),
            "{row:?} for {}",
            e.name
        );
    }
}

// ---------------------------------------------------------------------------------
// Catalog lookups and JSON

#[test]
fn embedded_catalog_lookups() {
    let cat = Catalog::embedded();
    assert_eq!(cat.source(), "embedded");
    let media = cat.section_id("media").unwrap();
    let llm = cat.section_id("llm").unwrap();
    let billing = cat.section_id("billing").unwrap();

    let key = cat.name_id(b"INVALID_API_KEY").unwrap();
    assert_eq!(cat.name(key), "INVALID_API_KEY");
    assert_eq!(cat.status_in(media, key), Some(403));
    assert_eq!(cat.status_in(llm, key), Some(403));
    assert_eq!(cat.status_in(billing, key), None);
    assert_eq!(
        cat.listings(key).collect::<Vec<_>>(),
        [(media, 403), (llm, 403)]
    );

    let balance = cat.name_id(b"BILLING_BALANCE_NOT_ENOUGH").unwrap();
    assert_eq!(cat.status_in(media, balance), Some(400));
    assert_eq!(cat.status_in(llm, balance), None);
    let llm_balance = cat.name_id(b"NOT_ENOUGH_BALANCE").unwrap();
    assert_eq!(cat.listings(llm_balance).collect::<Vec<_>>(), [(llm, 403)]);

    assert_eq!(cat.name_id(b"invalid_api_key"), None);
    assert_eq!(cat.name_id(b"ANONYMOUS_ACCESS_QUOTA_EXCEEDS"), None);
    assert_eq!(cat.resembles("invalid_api_key"), Some("INVALID_API_KEY"));
    assert_eq!(cat.resembles("INVALID_API_KEY"), None);
    assert_eq!(cat.resembles("NO_SUCH_NAME"), None);
}

#[test]
fn json_round_trip_keeps_sections() {
    let cat = Catalog::embedded();
    let json = serde_json::to_string(&cat.to_document()).unwrap();
    let back = Catalog::from_json(&json, "x").unwrap();
    assert_eq!(back.sections(), cat.sections());
    assert_eq!(back.name_count(), cat.name_count());
}

#[test]
fn from_markdown_error_names_source_and_line() {
    let page = format!("## Errors\n\n{TABLE}| BAD | 42 | nope |\n");
    let err = Catalog::from_markdown(&page, "x.md").unwrap_err();
    let shown = err.to_string();
    assert!(shown.starts_with("catalog x.md:6: "), "{shown}");
    assert!(shown.contains("\"42\""), "{shown}");
}

// ---------------------------------------------------------------------------------
// Page errors

#[test]
fn bad_status_is_reported_with_its_value() {
    let page = format!("## Errors\n\n{TABLE}| BAD | 4O3 | typo |\n");
    page_error(&page, 6, "status \"4O3\" of BAD");
    let page = format!("## Errors\n\n{TABLE}| BAD | 600 | out of range |\n");
    page_error(&page, 6, "\"600\"");
    let page = format!("## Errors\n\n{TABLE}| BAD | 99999999 | overflow |\n");
    page_error(&page, 6, "\"99999999\"");
    let page = format!("## Errors\n\n{TABLE}| BAD |  | missing |\n");
    page_error(&page, 6, "status \"\"");
}

#[test]
fn wrong_cell_count_is_reported() {
    let page = format!("## Errors\n\n{TABLE}| TWO | 400 |\n");
    page_error(&page, 6, "row has 2 cells but the table header has 3");
    let page = format!("## Errors\n\n{TABLE}| FOUR | 400 | a | b |\n");
    page_error(&page, 6, "row has 4 cells");
}

#[test]
fn bad_names_are_reported() {
    let page = format!("## Errors\n\n{TABLE}|  | 400 | no name |\n");
    page_error(&page, 6, "error name is empty");
    let page = format!("## Errors\n\n{TABLE}| BAD NAME | 400 | space |\n");
    page_error(&page, 6, "\"BAD NAME\"");
    let page = format!("## Errors\n\n{TABLE}| 名称 | 400 | not ascii |\n");
    page_error(&page, 6, "names use only ASCII");
}

#[test]
fn missing_separator_is_reported() {
    let page = "## Errors\n\n| name | status |\n| A | 400 |\n";
    page_error(page, 3, "not followed by a separator row");
    // A header on the last line has no separator either.
    page_error("## Errors\n| name | status |", 2, "separator");
}

#[test]
fn separator_width_must_match_header() {
    let page = "## Errors\n| name | status | description |\n|---|---|\n";
    page_error(
        page,
        3,
        "separator row has 2 cells but the header row above has 3",
    );
}

#[test]
fn table_before_heading_is_reported() {
    let page = format!("# Title\n\n{TABLE}\n## Errors\n\n{TABLE}");
    page_error(&page, 3, "before the first `##` heading");
    // A lone row, or a lone separator, before any heading.
    page_error("intro\n| A | 400 | x |\n", 2, "before the first");
    page_error("|---|---|\n## Errors\n", 1, "before the first");
}

#[test]
fn heading_without_table_is_reported() {
    let page = format!("## First\n\n{TABLE}\n## Empty\n\nJust prose.\n\n## Last\n\n{TABLE}");
    page_error(&page, 7, "section \"Empty\" has no table");
    // The last section too.
    let page = format!("## First\n\n{TABLE}\n## Trailing\n");
    page_error(&page, 7, "\"Trailing\" has no table");
}

#[test]
fn empty_pages_are_reported() {
    for page in [
        "",
        "\n\n",
        "\u{feff}",
        "# Title only\n\nSome prose | with a pipe.\n",
    ] {
        page_error(page, 1, "no sections");
    }
}

#[test]
fn second_table_in_a_section_is_reported() {
    let page = format!("## Errors\n\n{TABLE}\n| LATE | 400 | after a blank line |\n");
    page_error(&page, 7, "second table in section \"Errors\"");
}

#[test]
fn duplicate_section_ids_are_reported() {
    let page = format!("## 账单\n\n{TABLE}\n## Other {{#billing}}\n\n{TABLE}");
    page_error(&page, 7, "already used by the heading on line 1");
}

#[test]
fn invalid_explicit_id_is_reported() {
    let page = format!("## Errors {{#two words}}\n\n{TABLE}");
    page_error(&page, 1, "\"two words\"");
}

// ---------------------------------------------------------------------------------
// Accepted variations

#[test]
fn other_headings_get_slug_or_explicit_ids() {
    let page = format!(
        "## Errors (v2) — Async API\n\n{TABLE}\n\
         ## 图片／视频 /音频 {{#pictures}}\n\n{TABLE}\n\
         ## 支付\n\n{TABLE}\n\
         ## 自定义 {{#custom.v1}}\n\n{TABLE}\n\
         ##   图片/视频/音频   \n\n{TABLE}\n\
         ## Legacy ##\n\n{TABLE}"
    );
    let sections = parse_page(&page).unwrap();
    let ids: Vec<(&str, &str)> = sections
        .iter()
        .map(|s| (s.id.as_str(), s.title.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("errors-v2-async-api", "Errors (v2) — Async API"),
            ("pictures", "图片／视频 /音频"),
            ("section-3", "支付"),
            ("custom.v1", "自定义"),
            ("media", "图片/视频/音频"),
            ("legacy", "Legacy"),
        ]
    );
}

#[test]
fn crlf_and_bom_page_parses() {
    let page = format!("\u{feff}{}", EMBEDDED_PAGE.replace('\n', "\r\n"));
    assert_eq!(parse_page(&page), parse_page(EMBEDDED_PAGE));
    let sections = parse_page(&page).unwrap();
    assert_eq!(section(&sections, "media").entries[0].line, Some(8));
    assert_eq!(
        entry(section(&sections, "llm"), "INVALID_REQUEST_BODY").description,
        "请求体格式错误，详见 message"
    );
}

#[test]
fn two_column_table_has_empty_descriptions() {
    let page = "## Errors\n\n| 错误名称 | 状态码 |\n|:---|--:|\n| A | 400 |\n| B | 503 |\n";
    let sections = parse_page(page).unwrap();
    let entries = &sections[0].entries;
    assert_eq!(entries.len(), 2);
    assert_eq!((entries[1].name.as_str(), entries[1].status), ("B", 503));
    assert!(entries.iter().all(|e| e.description.is_empty()));
    assert_eq!(entries[1].line, Some(6));
}

#[test]
fn columns_found_by_header_keywords() {
    let page = "## Errors\n\n\
                | HTTP Status | Error message | Code name |\n\
                | :-: | --- | --- |\n\
                | 429 | slow down | RATE_LIMITED |\n";
    let e = &parse_page(page).unwrap()[0].entries[0];
    assert_eq!(
        (e.name.as_str(), e.status, e.description.as_str()),
        ("RATE_LIMITED", 429, "slow down")
    );
    // Unrecognised headers are positional; extra columns are ignored.
    let page = "## Errors\n| a | b | c | d |\n|-|-|-|-|\n| N | 500 | text | extra |\n";
    let e = &parse_page(page).unwrap()[0].entries[0];
    assert_eq!(
        (e.name.as_str(), e.status, e.description.as_str()),
        ("N", 500, "text")
    );
    // A header that is all description has no name or status column.
    page_error(
        "## E\n| 说明 | 描述 |\n|--|--|\n",
        2,
        "name and a status column",
    );
}

#[test]
fn loose_rows_and_markdown_cells() {
    let page = "## Errors\n\
                Intro prose mentioning a | pipe.\n\
                \n\
                ### Details\n\
                name | status | description\n\
                ---|---|---\n\
                | TRAILING_PIPE_OMITTED | 400 | no trailing pipe\n\
                NO_LEADING_PIPE | 401 | none |\n\
                | `CODE_SPAN` | 402 | a \\| pipe |\n\
                | ESCAPED\\_NAME | 403 |  |\n\
                | DUP | 404 | first |\n\
                | DUP | 405 | second |\n\
                Prose right after the table ends it.\n";
    let sections = parse_page(page).unwrap();
    let got: Vec<(&str, u16, &str, Option<usize>)> = sections[0]
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.status, e.description.as_str(), e.line))
        .collect();
    assert_eq!(
        got,
        [
            ("TRAILING_PIPE_OMITTED", 400, "no trailing pipe", Some(7)),
            ("NO_LEADING_PIPE", 401, "none", Some(8)),
            ("CODE_SPAN", 402, "a | pipe", Some(9)),
            ("ESCAPED_NAME", 403, "", Some(10)),
            ("DUP", 404, "first", Some(11)),
            ("DUP", 405, "second", Some(12)),
        ]
    );
}

#[test]
fn fenced_code_is_not_structure() {
    let page = format!(
        "```sh\n## not a heading\n| not | a | table |\n```\n\
         ## Errors\n\n{TABLE}\n\
         ~~~~\n## still code\n~~~\n~~~~\n\
         Example: `curl | jq`.\n"
    );
    let sections = parse_page(&page).unwrap();
    assert_eq!(sections.len(), 1);
    assert_eq!(sections[0].entries.len(), 1);
}

#[test]
fn no_panics_on_odd_input() {
    let odd = [
        "|",
        "||||\n|-|-|-|",
        "## \n|a|b|\n|-|-|\n|X|200|",
        "##\n| |\n|-|\n",
        "## x\n|a|b|\n|:-:|:-:|\n|\\|\\\\|",
        "## x\n| a | b |\n|---|---|\n| ` | 200 |",
        "#######\n## 图\u{0}\n\u{feff}|",
        "```\n## open fence never closed\n| a | b |\n|-|-|",
        "\r\r\n\r|\r",
        "## 🎉{#\n|名称|状态|\n|-|-|\n|É|200|",
    ];
    for page in odd {
        let _ = parse_page(page);
    }
    // A large page parses with every row accounted for.
    let mut big = String::from("## Big\n| name | status | description |\n|---|---|---|\n");
    for i in 0..50_000 {
        writeln!(big, "| NAME_{i} | {} | 描述 {i} |", 100 + i % 500).unwrap();
    }
    let sections = parse_page(&big).unwrap();
    assert_eq!(sections[0].entries.len(), 50_000);
    assert_eq!(sections[0].entries[49_999].line, Some(50_003));
}

#[test]
fn random_pages_never_panic() {
    // Deterministic xorshift over the characters the parser cares about.
    let alphabet: Vec<char> = "|#-:`~{}\\ \t\r\n\u{feff}aZ_.9 0名，／".chars().collect();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2_000 {
        let len = (next() % 200) as usize;
        let page: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        if let Err(err) = parse_page(&page) {
            assert!(err.line >= 1 && err.line <= page.split('\n').count().max(1));
            assert!(!err.message.is_empty());
        }
    }
}
