/**
 * GL001 and pull-only credentials: an unprotected DOCKER_AUTH_CONFIG may hold a registry's
 * pull-only credential (`externalRegistries[].unprotectedPull`, a sensitive variable whose
 * description declares it), and nothing else secret; every other unprotected secret stays an error.
 */
import { GroupVariable } from "@cdktf/provider-gitlab/lib/group-variable";
import { Fn, TerraformLocal, TerraformVariable, type TerraformStack } from "cdktf";
import { UNPROTECTED_PULL_DESCRIPTION } from "../../lib/gitlab/docker-auth-config";
import { findingsOf, checkStack } from "../support/annotations";

const pullOnly = (s: TerraformStack, id = "pull") => new TerraformVariable(s, id, { type: "string", sensitive: true, description: `${UNPROTECTED_PULL_DESCRIPTION} robot at registry.example.com` });
const plain = (s: TerraformStack, id = "password") => new TerraformVariable(s, id, { type: "string", sensitive: true, description: "Password of ci at registry.example.com" });
const auth = (...passwords: string[]) => Fn.jsonencode({ auths: Fn.zipmap(passwords.map((_, i) => `r${i}.example.com`), passwords.map((p) => ({ auth: Fn.base64encode(Fn.join(":", ["robot", p])) }))) });
const gl001 = (build: (s: TerraformStack) => void) => findingsOf(checkStack(build), "GL001").map((a) => [a.level, a.path]);

describe("GL001: pull-only credentials in an unprotected DOCKER_AUTH_CONFIG", () => {
  test("a declared pull-only credential, masked, is accepted", () => {
    expect(gl001((s) => new GroupVariable(s, "var", { group: "acme", key: "DOCKER_AUTH_CONFIG", value: auth(pullOnly(s).stringValue), masked: true, protected: false }))).toEqual([]);
  });

  test("a sensitive variable not declared pull-only is an error", () => {
    expect(gl001((s) => new GroupVariable(s, "var", { group: "acme", key: "DOCKER_AUTH_CONFIG", value: auth(plain(s).stringValue), masked: true, protected: false }))).toEqual([["error", "test/var"]]);
  });

  test("a pull-only credential next to another secret is an error", () => {
    expect(gl001((s) => new GroupVariable(s, "var", { group: "acme", key: "DOCKER_AUTH_CONFIG", value: auth(pullOnly(s).stringValue, plain(s).stringValue), masked: true, protected: false }))).toEqual([["error", "test/var"]]);
  });

  test("a pull-only credential in another variable than DOCKER_AUTH_CONFIG is an error", () => {
    expect(gl001((s) => new GroupVariable(s, "var", { group: "acme", key: "REGISTRY_PASSWORD", value: pullOnly(s).stringValue, masked: true, protected: false }))).toEqual([["error", "test/var"]]);
  });

  test("a pull-only credential passed through a local is an error (only direct references are recognized)", () => {
    expect(
      gl001((s) => {
        const local = new TerraformLocal(s, "auth", auth(pullOnly(s).stringValue));
        new GroupVariable(s, "var", { group: "acme", key: "DOCKER_AUTH_CONFIG", value: local.asString, masked: true, protected: false });
      }),
    ).toEqual([["error", "test/var"]]);
  });

  test("a pull-only credential unmasked is an error", () => {
    expect(gl001((s) => new GroupVariable(s, "var", { group: "acme", key: "DOCKER_AUTH_CONFIG", value: auth(pullOnly(s).stringValue), masked: false, protected: false }))).toEqual([["error", "test/var"]]);
  });
});
