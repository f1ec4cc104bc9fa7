// tandem: a decoupled batch scheduler. Every command talks to the backend directly.
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  using namespace tandem::cli;
  Globals g;
  CLI::App app{
      "tandem: a decoupled batch scheduler. Submit jobs to a queue; agents (one per "
      "worker) run them, retry them, verify them and record every attempt."};
  app.name("tandem");
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--backend", g.backend,
                 "backend URL: sqlite://PATH (default sqlite://.tandem/tandem.db) or "
                 "memory://NAME")
      ->envname("TANDEM_BACKEND");
  app.footer(
      "Example:\n"
      "  tandem submit --cmd 'echo hello'    # one job from a command line\n"
      "  tandem up --workers 2               # run local agents until the queue drains\n"
      "  tandem jobs                         # what happened\n"
      "Run 'tandem COMMAND --help' for a command's options.");
  add_submit(app, g);
  add_inspect(app, g);
  add_wait(app, g);
  add_agent(app, g);
  add_up(app, g);
  add_events(app, g);
  add_intake(app, g);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  return g.exit_code;
}
