// One entry point per subcommand; each lives in its own file (run.cpp, spectest.cpp, ...).
// argv[0] is the subcommand name; the return value is the process exit code.
#pragma once

namespace wasipool::cli {
int run_main(int argc, char** argv);       // wasipool run [OPTIONS] MODULE [ARGS...]
int spectest_main(int argc, char** argv);  // wasipool spectest FILE.json
int serve_main(int argc, char** argv);     // wasipool serve [OPTIONS] [spin.toml | DIR]
int image_main(int argc, char** argv);     // wasipool image build DIR -t NAME:TAG -o image.tar (src/oci)
int slight_main(int argc, char** argv);    // wasipool slight -c slightfile.toml run app.wasm (src/slight)
int node_main(int argc, char** argv);      // wasipool node install|uninstall|status (src/node)
}  // namespace wasipool::cli
