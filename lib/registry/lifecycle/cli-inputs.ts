/**
 * The lifecycle preview's input files: the policy (the document or `aws ecr get-lifecycle-policy`
 * output) and the images (a plain list or `aws ecr describe-images` output), read and checked
 * before anything is previewed.
 */
import { readFileSync } from "node:fs";
import { check, ValidationError } from "../../core/errors";
import { closestKey } from "../../core/closest-key";
import { validateLifecyclePolicy, type LifecyclePolicyDocument } from "./policy";
import { type LifecycleImage } from "./simulator";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(path: string, what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError({ path, subject: what, value: (error as Error).message, rule: "must be valid JSON", fix: "fix the JSON syntax" });
  }
}

/** Reads and parses a JSON file; a missing file or bad JSON is a {@link ValidationError} naming the path. */
export function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ValidationError({ path, subject: "file", value: (error as Error).message, rule: "the file must exist and be readable", fix: "check the path" });
  }
  return parseJson(path, "file content", text);
}

/** Parses a time: an ISO 8601 string, or (`aws ecr describe-images` wire format) epoch seconds. */
export function parseTime(path: string, subject: string, value: unknown, epochSeconds: boolean): Date {
  const date =
    typeof value === "string" && ISO_DATE.test(value) ? new Date(value) : epochSeconds && typeof value === "number" ? new Date(value * 1000) : undefined;
  check(date !== undefined && Number.isFinite(date.getTime()), {
    path,
    subject,
    value,
    rule: `a time is an ISO 8601 date such as "2024-06-01T12:00:00Z"${epochSeconds ? " or epoch seconds" : ""}`,
    fix: "correct the date",
  });
  return date;
}

function parseTags(path: string, subject: string, value: unknown): readonly string[] {
  check(Array.isArray(value) && value.every((tag) => typeof tag === "string"), {
    path,
    subject,
    value,
    rule: "tags are an array of strings (empty for an untagged image)",
    fix: "list the image's tags",
  });
  return value;
}

/** Reads a policy: the document itself or `aws ecr get-lifecycle-policy` output; validated without protected selectors. */
export function parsePolicyInput(path: string, json: unknown): LifecyclePolicyDocument {
  let doc = json;
  if (isRecord(json) && "lifecyclePolicyText" in json) {
    const text = json.lifecyclePolicyText;
    check(typeof text === "string", {
      path,
      subject: "lifecyclePolicyText",
      value: text,
      rule: "get-lifecycle-policy output holds the policy as a JSON string",
      fix: "pass the unmodified output of `aws ecr get-lifecycle-policy`",
    });
    doc = parseJson(path, "lifecyclePolicyText", text);
  }
  validateLifecyclePolicy(path, doc);
  return doc;
}

/**
 * The pagination tokens an incomplete `aws ecr describe-images` output carries: `NextToken` is what
 * the AWS CLI prints when `--max-items` cut the list, `nextToken` the API's own token, printed as is
 * with `--no-paginate` (AWS CLI User Guide, "Using the pagination options in the AWS CLI"; Amazon ECR
 * API Reference, DescribeImages, response element `nextToken`).
 */
export const PAGINATION_TOKENS = ["NextToken", "nextToken"] as const;

/**
 * Refuses a describe-images output holding a pagination token: its `imageDetails` is one page, and
 * the rules count images (`imageCountMoreThan`) and pick the oldest among all of them, so a preview of
 * one page answers wrongly without saying so.
 */
function checkComplete(path: string, json: Record<string, unknown>): void {
  const token = PAGINATION_TOKENS.find((key) => json[key] !== undefined && json[key] !== null);
  check(token === undefined, {
    path,
    subject: token ?? "NextToken",
    value: token === undefined ? undefined : json[token],
    rule: "the images must be the repository's complete list: describe-images output with a pagination token is one page of it, and count rules and the oldest-first order need every image",
    fix: "rerun `aws ecr describe-images --repository-name <name>` without --max-items and without --no-paginate (the AWS CLI then follows every page), or merge all pages' imageDetails into one file",
  });
}

/**
 * Reads images: an array of `{ digest, tags, pushedAt, lastPulledAt? }` or `aws ecr describe-images` output.
 *
 * @throws ValidationError when the input is malformed, or when describe-images output carries a
 *   pagination token ({@link PAGINATION_TOKENS}: an incomplete list).
 */
export function parseImagesInput(path: string, json: unknown): readonly LifecycleImage[] {
  const describe = isRecord(json) && Array.isArray(json.imageDetails);
  const list: unknown = describe ? json.imageDetails : json;
  check(Array.isArray(list), {
    path,
    subject: "images",
    value: json,
    rule: 'images are an array of { digest, tags, pushedAt, lastPulledAt? } or describe-images output { "imageDetails": [...] }',
    fix: "pass a JSON array of images or the output of `aws ecr describe-images`",
  });
  if (describe) checkComplete(path, json);
  const digests = new Set<string>();
  return list.map((item: unknown, i: number): LifecycleImage => {
    const at = describe ? `imageDetails[${i}]` : `[${i}]`;
    check(isRecord(item), { path, subject: at, value: item, rule: "each image is a JSON object", fix: "remove or fix the entry" });
    const [digestKey, tagsKey, pushedKey, pulledKey] = describe
      ? ["imageDigest", "imageTags", "imagePushedAt", "lastRecordedPullTime"]
      : ["digest", "tags", "pushedAt", "lastPulledAt"];
    // describe-images output carries many more fields (sizes, scan status, media types); the plain
    // format has these four only, and a misspelt lastPulledAt would read as never pulled.
    if (!describe) checkPlainImageKeys(path, at, item);
    const digest = item[digestKey];
    check(typeof digest === "string" && digest.length > 0 && !digests.has(digest), {
      path,
      subject: `${at}.${digestKey}`,
      value: digest,
      rule: "every image has a digest, unique in the list",
      fix: "give each image its own digest",
    });
    digests.add(digest);
    // describe-images omits imageTags for untagged images.
    const tags = describe && item[tagsKey] === undefined ? [] : parseTags(path, `${at}.${tagsKey}`, item[tagsKey]);
    const pulled = item[pulledKey];
    return {
      digest,
      tags,
      pushedAt: parseTime(path, `${at}.${pushedKey}`, item[pushedKey], describe),
      ...(pulled === undefined ? {} : { lastPulledAt: parseTime(path, `${at}.${pulledKey}`, pulled, describe) }),
    };
  });
}

const PLAIN_IMAGE_KEYS = ["digest", "tags", "pushedAt", "lastPulledAt"];

function checkPlainImageKeys(path: string, at: string, item: Record<string, unknown>): void {
  for (const key of Object.keys(item)) {
    const close = closestKey(key, PLAIN_IMAGE_KEYS);
    check(PLAIN_IMAGE_KEYS.includes(key), {
      path,
      subject: `${at} key`,
      value: key,
      rule: `an image is { ${PLAIN_IMAGE_KEYS.join(", ")} } (or describe-images output { "imageDetails": [...] })`,
      fix: close ? `did you mean ${JSON.stringify(close)}? Rename the key` : "remove the key",
    });
  }
}
