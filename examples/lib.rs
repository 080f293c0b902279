//! Runnable examples for cmms. The Rust quick start lives in `quickstart.rs`; the README shows
//! the same file, and a test keeps the two identical.

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
}
