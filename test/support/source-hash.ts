import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith(".ts") ? [full] : [];
  });
}

/**
 * A hash of every source synthesized stacks depend on (the TypeScript files of lib/ and stacks/)
 * and of the `extra` files (the module caching a result, package-lock.json for the providers'
 * versions ...): the key of a result cached on disk between test files, so that any change to
 * what made it makes another key.
 */
export function sourceHash(extra: readonly string[] = []): string {
  const hash = createHash("sha256");
  for (const file of [...sourceFiles(path.join(ROOT, "lib")), ...sourceFiles(path.join(ROOT, "stacks")), ...extra].sort()) hash.update(file).update(readFileSync(file));
  return hash.digest("hex").slice(0, 24);
}
