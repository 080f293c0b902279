//! Runnable examples for cmms. The Rust quick start lives in `quickstart.rs`; the README shows
//! the same file, and a test keeps the two identical. `record_type.rs` is the example of
//! docs/records.md, whose code blocks a test finds in it word for word.

#[cfg(test)]
mod tests {
    /// The README's quick start is exactly `quickstart.rs`, so "runs as written" is proven by
    /// running the example (scripts/test does).
    #[test]
    fn readme_quick_start_is_the_example() {
        let readme = include_str!("../README.md");
        let example = include_str!("quickstart.rs");
        let block = readme
            .split("```rust\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("README has a rust block");
        assert_eq!(
            block.trim(),
            example.trim(),
            "README quick start and examples/quickstart.rs differ"
        );
    }

    /// Every Rust block of docs/records.md stands in `record_type.rs` as written, and
    /// scripts/test runs that example.
    #[test]
    fn records_guide_blocks_are_in_the_example() {
        let guide = include_str!("../docs/records.md");
        let example = include_str!("record_type.rs");
        let blocks: Vec<&str> =
            guide.split("```rust\n").skip(1).filter_map(|rest| rest.split("```").next()).collect();
        assert!(blocks.len() >= 3, "docs/records.md has its examples");
        for block in blocks {
            assert!(
                example.contains(block.trim_end()),
                "this block of docs/records.md is not in examples/record_type.rs:\n{block}"
            );
        }
    }
}
