/**
 * Terraform reads every string in its JSON configuration as a template:
 * `${...}` is an interpolation and `%{...}` a directive. Literal text that
 * contains them (shell scripts, `%{http_code}`, GitLab's `${CI_RUNNER_VERSION}`)
 * must escape them as `$${` and `%%{`, or Terraform fails or substitutes.
 */

/** cdktf's encoding of an unresolved string token inside a string. */
const TOKEN = /\$\{TfToken\[[^\]]+\]\}/g;

/**
 * Escapes Terraform template sequences in literal text so that it reaches the
 * resource verbatim. cdktf tokens embedded in the text (references such as a
 * secret ARN) are left as they are, so Terraform still resolves them.
 */
export function escapeTerraformTemplate(text: string): string {
  // Replacer functions: in a replacement string "$$" would mean a single "$".
  const escape = (literal: string) => literal.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
  let out = "";
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    out += escape(text.slice(last, match.index)) + match[0];
    last = match.index! + match[0].length;
  }
  return out + escape(text.slice(last));
}
