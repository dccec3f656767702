//! `kafka-sync`: a command-line tool for Apache Kafka on the kafka-sync client, in the
//! manner of kcat and Kafka's console tools: produce records from stdin, consume them
//! to stdout (raw values or JSON), and manage topics, consumer groups and configs.
//!
//! Every command takes the connection flags (`--bootstrap-server`, `--command-config`,
//! `-X key=value`) before or after its name. Errors end the program with one line
//! `kafka-sync: <error>` on stderr and exit status 1; bad usage with clap's message and
//! exit status 2.

mod admin;
mod args;
mod config;
mod consume;
mod error;
mod output;
mod produce;
mod time;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            e.report();
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> error::Result<()> {
    let common = &cli.common;
    match &cli.command {
        Command::Produce(args) => produce::run(common, args),
        Command::Consume(args) => consume::run(common, args),
        Command::Topics(command) => admin::topics(common, command),
        Command::Groups(command) => admin::groups(common, command),
        Command::Cluster(command) => admin::cluster(common, command),
        Command::Configs(command) => admin::configs(common, command),
    }
}
