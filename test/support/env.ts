/**
 * Sets environment variables of this process and returns the function that puts the earlier
 * values back: a variable that was unset is deleted again (assigning `undefined` to `process.env`
 * stores the string "undefined", which would switch the fake registry's cross-environment IAM on,
 * or name a cache directory, for later test files of the same worker).
 */
export function setProcessEnv(values: Readonly<Record<string, string>>): () => void {
  const saved = Object.keys(values).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, values);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
