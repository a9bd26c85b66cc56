//! The catalog page parser on any text: a catalog or a located error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match errscope::catalog::Catalog::from_markdown(&text, "fuzz") {
        Ok(catalog) => {
            // Every listed name can be looked up again.
            for section in catalog.sections() {
                for entry in &section.entries {
                    assert!(catalog.name_id(entry.name.as_bytes()).is_some());
                }
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
