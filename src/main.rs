//! The errscope binary: a thin shell over the library.

fn main() -> std::process::ExitCode {
    errscope::command::app::main()
}
