package id.penjaga.agent.cli;

import picocli.CommandLine.Option;

/** {@code --repo NAME}: which repository a command works on (default: the main one). */
final class RepoOption {
  @Option(
      names = "--repo",
      paramLabel = "NAME",
      description = "The repository: main (default) or the name of one of the copies.")
  String name;
}
