// spin.toml v1 / v2 -> App, and the errors for unknown keys and wrong types (file:line: key.path).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "harness.h"
#include "spin/app.h"

using namespace wasipool::spin;

namespace {

struct TempManifest {
  std::string dir = spintest::make_temp_dir();
  std::string path = dir + "/spin.toml";
  explicit TempManifest(const std::string& text) { spintest::write_file(path, text); }
  ~TempManifest() { std::filesystem::remove_all(dir); }
};

const char kSeedV1[] = R"(spin_version = "1"
authors = ["DeisLabs Engineering Team"]
description = "A simple spin hello world"
name = "spin-hello"
trigger = { type = "http", base = "/" }
version = "1.0.0"
[[component]]
id = "hello"
source = "spin_rust_hello.wasm"
[component.trigger]
route = "/hello"
)";

}  // namespace

TEST(SpinManifest, SeedEraV1LoadsUnchanged) {
  TempManifest m(kSeedV1);
  auto app = load_manifest(m.path);
  ASSERT_TRUE(app.ok()) << app.error();
  EXPECT_EQ(app->manifest_version, 1);
  EXPECT_EQ(app->name, "spin-hello");
  EXPECT_EQ(app->version, "1.0.0");
  EXPECT_EQ(app->base, "/");
  ASSERT_EQ(app->components.size(), 1u);
  EXPECT_EQ(app->components[0].id, "hello");
  EXPECT_EQ(app->components[0].source, m.dir + "/spin_rust_hello.wasm");  // relative to the manifest
  ASSERT_EQ(app->routes.size(), 1u);
  EXPECT_EQ(app->routes[0].route, "/hello");
  EXPECT_EQ(app->routes[0].executor.kind, ExecutorKind::Spin);
}

TEST(SpinManifest, V1FullComponent) {
  TempManifest m(R"(spin_manifest_version = "1"
name = "full"
trigger = { type = "http", base = "/api" }
[variables]
token = { required = true, secret = true }
greeting = { default = "hi" }
[[component]]
id = "c1"
source = "c1.wasm"
environment = { A = "1", B = "two" }
allowed_http_hosts = ["example.com", "insecure:allow-all"]
key_value_stores = ["default"]
files = [{ source = "assets", destination = "/static" }, "*.txt", "sub/**"]
exclude_files = ["sub/secret*"]
config = { message = "{{ greeting }}, world", secret = "{{token}}" }
[component.trigger]
route = "/c1/..."
executor = { type = "wagi", argv = "${SCRIPT_NAME} -v ${ARGS}" }
)");
  std::filesystem::create_directories(m.dir + "/assets");
  spintest::write_file(m.dir + "/a.txt", "a");
  spintest::write_file(m.dir + "/b.txt", "b");
  std::filesystem::create_directories(m.dir + "/sub/deep");
  spintest::write_file(m.dir + "/sub/deep/x.css", "x");
  spintest::write_file(m.dir + "/sub/secret.key", "k");
  auto app = load_manifest(m.path);
  ASSERT_TRUE(app.ok()) << app.error();
  EXPECT_EQ(app->base, "/api");
  const Component& c = app->components[0];
  ASSERT_EQ(c.environment.size(), 2u);
  EXPECT_EQ(c.environment[1].second, "two");
  EXPECT_EQ(c.key_value_stores, std::vector<std::string>{"default"});
  ASSERT_EQ(c.dir_mounts.size(), 1u);
  EXPECT_EQ(c.dir_mounts[0].guest_path, "/static");
  std::set<std::string> staged;
  for (const auto& f : c.files) staged.insert(f.guest_rel);
  // *.txt (not spin.toml), sub/** recursively, minus the excluded secret.
  EXPECT_EQ(staged, (std::set<std::string>{"a.txt", "b.txt", "sub/deep/x.css"}));
  EXPECT_TRUE(outbound_allowed(c, "https", "example.com", 443));
  EXPECT_TRUE(outbound_allowed(c, "http", "anything.org", 8080));  // insecure:allow-all
  EXPECT_EQ(app->routes[0].executor.kind, ExecutorKind::Wagi);
  EXPECT_EQ(app->routes[0].executor.argv, "${SCRIPT_NAME} -v ${ARGS}");
  EXPECT_EQ(resolve_config(*app, c, "message"), std::optional<std::string>("hi, world"));
  // Required variable without a value resolves to nothing; the environment provides it.
  ::unsetenv("SPIN_VARIABLE_TOKEN");
  EXPECT_EQ(resolve_config(*app, c, "secret"), std::nullopt);
  ::setenv("SPIN_VARIABLE_TOKEN", "s3cret", 1);
  EXPECT_EQ(resolve_config(*app, c, "secret"), std::optional<std::string>("s3cret"));
  ::unsetenv("SPIN_VARIABLE_TOKEN");
}

TEST(SpinManifest, V2Manifest) {
  TempManifest m(R"(spin_manifest_version = 2
[application]
name = "v2app"
version = "0.1.0"
[application.trigger.http]
base = "/"
[variables]
api_key = { default = "k" }
[[trigger.http]]
route = "/hello"
component = "hello"
[[trigger.http]]
route = "/wagi/..."
component = { source = "inline.wasm" }
executor = { type = "wagi" }
[[trigger.http]]
route = { private = true }
component = "hello"
[component.hello]
source = "hello.wasm"
allowed_outbound_hosts = ["redis://redis.example.com:6379", "https://*.example.org/"]
variables = { key = "{{ api_key }}" }
key_value_stores = ["default"]
)");
  auto app = load_manifest(m.path);
  ASSERT_TRUE(app.ok()) << app.error();
  EXPECT_EQ(app->manifest_version, 2);
  ASSERT_EQ(app->routes.size(), 2u);  // the private route is not routable
  EXPECT_EQ(app->components[app->routes[0].component].id, "hello");
  EXPECT_EQ(app->routes[1].executor.kind, ExecutorKind::Wagi);
  EXPECT_EQ(app->components[app->routes[1].component].source, m.dir + "/inline.wasm");
  const Component& hello = app->components[app->routes[0].component];
  EXPECT_TRUE(outbound_allowed(hello, "redis", "redis.example.com", 6379));
  EXPECT_FALSE(outbound_allowed(hello, "redis", "redis.example.com", 6380));
  EXPECT_TRUE(outbound_allowed(hello, "https", "api.example.org", 443));
  EXPECT_FALSE(outbound_allowed(hello, "http", "api.example.org", 80));
  EXPECT_EQ(resolve_config(*app, hello, "key"), std::optional<std::string>("k"));
}

struct BadCase {
  const char* text;
  const char* expect;  // substring of the error
};

class SpinManifestErrors : public testing::TestWithParam<BadCase> {};

TEST_P(SpinManifestErrors, RejectedWithFileLineAndKeyPath) {
  TempManifest m(GetParam().text);
  auto app = load_manifest(m.path);
  ASSERT_FALSE(app.ok());
  EXPECT_NE(app.error().find(m.path), std::string::npos) << app.error();
  EXPECT_NE(app.error().find(GetParam().expect), std::string::npos) << app.error();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SpinManifestErrors,
    testing::Values(
        BadCase{"spin_version = \"1\"\nname = \"x\"\ntrigger = { type = \"http\" }\nbogus = 1\n", ":4: bogus: unknown field"},
        BadCase{"spin_version = \"1\"\nname = \"x\"\ntrigger = { type = \"http\" }\n[[component]]\nid = \"a\"\nsource = \"a.wasm\"\n"
                "envirnoment = { A = \"1\" }\n[component.trigger]\nroute = \"/\"\n",
                ":7: component[0].envirnoment: unknown field"},
        BadCase{"spin_version = \"1\"\nname = \"x\"\ntrigger = { type = \"http\" }\n[[component]]\nid = \"a\"\nsource = \"a.wasm\"\n"
                "[component.trigger]\nroute = 42\n",
                ":8: component.a.trigger.route: expected a string"},
        BadCase{"spin_version = \"1\"\nname = \"x\"\ntrigger = { type = \"http\" }\n[[component]]\nid = \"a\"\nsource = \"a.wasm\"\n"
                "[component.trigger]\nroute = \"/\"\nexecutor = { type = \"cgi\" }\n",
                "component.a.trigger.executor.type: unknown executor type"},
        BadCase{"spin_version = \"1\"\nname = \"x\"\ntrigger = { type = \"http\" }\n[[component]]\nid = \"a\"\nsource = \"a.wasm\"\n"
                "config = { k = \"{{ nope }}\" }\n[component.trigger]\nroute = \"/\"\n",
                ":7: component.a.config.k: references undefined variable 'nope'"},
        BadCase{"spin_version = \"1\"\nname = \"x\"\ntrigger = { type = \"http\" }\n[[component]]\nid = \"a\"\nsource = \"a.wasm\"\n"
                "key_value_stores = \"default\"\n[component.trigger]\nroute = \"/\"\n",
                ":7: component.a.key_value_stores: expected an array"},
        BadCase{"spin_manifest_version = 2\n[application]\nname = \"x\"\n[component.hello]\nsource = \"h.wasm\"\nfiles = [1]\n",
                ":6: component.hello.files[0]: expected a glob string"},
        BadCase{"spin_manifest_version = 2\n[application]\nname = \"x\"\n[[trigger.http]]\nroute = \"/\"\ncomponent = \"missing\"\n",
                ":6: trigger.http[0].component: no component named 'missing'"},
        BadCase{"spin_manifest_version = 2\n[application]\nname = \"x\"\nextra = true\n", ":4: application.extra: unknown field"},
        BadCase{"spin_manifest_version = 3\n", "spin_manifest_version: unsupported manifest version"},
        BadCase{"name = \"x\"\n", "spin_manifest_version: missing required field"},
        BadCase{"spin_version = \"1\"\nname = \n", ":2: "}));
