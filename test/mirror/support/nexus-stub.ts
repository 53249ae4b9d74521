import { existsSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo } from "node:net";

/**
 * A small HTTP stub of the Nexus Repository 3 REST API, following the
 * documented responses the provisioning script depends on: 503 from
 * /v1/status/writable until ready, 401 without the admin password, the
 * initial password in admin.password until it is changed (then the file is
 * gone), the Community Edition EULA unaccepted at first and accepted only
 * with the disclaimer unchanged, 400 on a second POST of a repository name,
 * GET of a repository answering with more fields than were posted and
 * without the upstream password. Loopback only.
 */

/** A stored repository. */
export interface StubRepository {
  readonly format: string;
  readonly type: string;
  body: Record<string, unknown>;
}

/** One request the stub answered. */
export interface StubRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body: string;
}

/** The stub's state; tests set it up and inspect it. */
export interface NexusStubState {
  /** /v1/status/writable answers 503 this many times before 200. */
  notReadyCount: number;
  adminPassword: string;
  /** Path of admin.password, removed when the password changes (as Nexus does). */
  adminPasswordFile: string;
  /** undefined: no EULA endpoint (not Community Edition 3.77+). */
  eula?: { disclaimer: string; accepted: boolean };
  realms: string[];
  anonymous: { enabled: boolean; userId: string; realmName: string };
  repositories: Map<string, StubRepository>;
  tasks: Array<{ id: string; name: string; type: string; body: Record<string, unknown> }>;
  /** Whether POST /v1/tasks exists (the Community Edition and older editions answer 405). */
  taskCreation: boolean;
  /** Whether the UI's ExtDirect coreui_Task.create works (it does in the Community Edition's source). */
  extDirectTaskCreation: boolean;
  /** Cleanup policies by name; undefined: no cleanup policy API. */
  cleanupPolicies?: Map<string, Record<string, unknown>>;
  requests: StubRequest[];
}

export const EULA_DISCLAIMER =
  "Use of Sonatype Nexus Repository - Community Edition is governed by the End User License Agreement at https://links.sonatype.com/products/nxrm/ce-eula. By returning the value from ‘accepted:false’ to ‘accepted:true’, you acknowledge that you have read and agree to the End User License Agreement at https://links.sonatype.com/products/nxrm/ce-eula.";

/** A fresh Nexus as on first boot. */
export function firstBootState(adminPasswordFile: string, initialPassword: string): NexusStubState {
  return {
    notReadyCount: 2,
    adminPassword: initialPassword,
    adminPasswordFile,
    eula: { disclaimer: EULA_DISCLAIMER, accepted: false },
    realms: ["NexusAuthenticatingRealm"],
    anonymous: { enabled: false, userId: "anonymous", realmName: "NexusAuthorizingRealm" },
    repositories: new Map(),
    tasks: [],
    taskCreation: true,
    extDirectTaskCreation: true,
    cleanupPolicies: new Map(),
    requests: [],
  };
}

/** A running stub. */
export interface NexusStub {
  readonly url: string;
  readonly state: NexusStubState;
  close(): Promise<void>;
}

const REST = "/service/rest";

export async function startNexusStub(state: NexusStubState): Promise<NexusStub> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const { status, payload } = handle(state, req, body);
      state.requests.push({ method: req.method ?? "", path: req.url ?? "", status, body });
      reply(res, status, payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function reply(res: ServerResponse, status: number, payload: unknown): void {
  if (payload === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(payload));
}

type Result = { status: number; payload?: unknown };

function handle(state: NexusStubState, req: IncomingMessage, body: string): Result {
  const url = new URL(req.url ?? "/", "http://stub");
  const method = req.method ?? "GET";
  if (url.pathname === "/service/extdirect" && method === "POST") {
    if (!authorized(state, req)) return { status: 401 };
    return extDirect(state, JSON.parse(body) as ExtDirectRequest);
  }
  if (!url.pathname.startsWith(REST)) return { status: 404 };
  const path = url.pathname.slice(REST.length);

  if (method === "GET" && path === "/v1/status/writable") {
    if (state.notReadyCount > 0) {
      state.notReadyCount--;
      return { status: 503 };
    }
    return { status: 200 };
  }
  if (!authorized(state, req)) return { status: 401 };
  const json = (): unknown => {
    if (!String(req.headers["content-type"]).startsWith("application/json")) throw new StubError(415);
    return JSON.parse(body) as unknown;
  };
  try {
    return route(state, method, path, url, body, json);
  } catch (e) {
    if (e instanceof StubError) return { status: e.status };
    return { status: 400, payload: { message: String(e) } };
  }
}

class StubError extends Error {
  public constructor(public readonly status: number) {
    super(`status ${status}`);
  }
}

function route(state: NexusStubState, method: string, path: string, url: URL, body: string, json: () => unknown): Result {
  if (path === "/v1/security/users/admin/change-password" && method === "PUT") {
    if (!String(body).length) return { status: 400 };
    state.adminPassword = body;
    if (existsSync(state.adminPasswordFile)) rmSync(state.adminPasswordFile);
    return { status: 204 };
  }
  if (path === "/v1/system/eula") {
    if (!state.eula) return { status: 404 };
    if (method === "GET") return { status: 200, payload: state.eula };
    if (method === "POST") {
      const posted = json() as { disclaimer?: string; accepted?: boolean };
      if (posted.disclaimer !== state.eula.disclaimer || posted.accepted !== true) return { status: 400 };
      state.eula.accepted = true;
      return { status: 204 };
    }
  }
  if (path === "/v1/security/realms/active") {
    if (method === "GET") return { status: 200, payload: state.realms };
    if (method === "PUT") {
      const realms = json();
      if (!Array.isArray(realms) || !realms.every((r) => typeof r === "string")) return { status: 400 };
      state.realms = realms as string[];
      return { status: 204 };
    }
  }
  if (path === "/v1/security/anonymous") {
    if (method === "GET") return { status: 200, payload: state.anonymous };
    if (method === "PUT") {
      state.anonymous = json() as NexusStubState["anonymous"];
      return { status: 200, payload: state.anonymous };
    }
  }
  const policy = /^\/internal\/cleanup-policies(?:\/([^/]+))?$/.exec(path);
  if (policy && state.cleanupPolicies) {
    const policies = state.cleanupPolicies;
    if (!policy[1] && method === "POST") {
      const posted = json() as { name?: string; format?: string; criteriaLastDownloaded?: number };
      if (!posted.name || !["docker", "raw"].includes(String(posted.format)) || policies.has(posted.name)) return { status: 400 };
      policies.set(posted.name, { ...posted, inUseCount: 0 });
      return { status: 200, payload: policies.get(posted.name) };
    }
    if (policy[1] && method === "GET") return policies.has(policy[1]) ? { status: 200, payload: policies.get(policy[1]) } : { status: 404 };
    if (policy[1] && method === "PUT") {
      if (!policies.has(policy[1])) return { status: 404 };
      policies.set(policy[1], { ...(json() as Record<string, unknown>), inUseCount: 0 });
      return { status: 200, payload: policies.get(policy[1]) };
    }
  }
  // Nexus refuses a repository that names a cleanup policy it does not have.
  const unknownPolicy = (repo: Record<string, unknown>) =>
    ((repo.cleanup as { policyNames?: string[] } | undefined)?.policyNames ?? []).some((n) => !state.cleanupPolicies?.has(n));
  const collection = /^\/v1\/repositories\/(docker|raw)\/(proxy|group)$/.exec(path);
  if (collection && method === "POST") {
    const repo = json() as Record<string, unknown>;
    if (unknownPolicy(repo)) return { status: 400, payload: [{ id: "cleanup", message: "unknown cleanup policy" }] };
    const name = String(repo.name);
    if ([...state.repositories.keys()].some((k) => k.toLowerCase() === name.toLowerCase())) {
      return { status: 400, payload: [{ id: "name", message: "Name is already used, must be unique (ignoring case)" }] };
    }
    state.repositories.set(name, { format: collection[1]!, type: collection[2]!, body: repo });
    return { status: 201 };
  }
  const item = /^\/v1\/repositories\/(docker|raw)\/(proxy|group)\/([^/]+)$/.exec(path);
  if (item) {
    const stored = state.repositories.get(item[3]!);
    const matches = stored && stored.format === item[1] && stored.type === item[2];
    if (method === "GET") return matches ? { status: 200, payload: asReturnedByNexus(stored) } : { status: 404 };
    if (method === "PUT") {
      if (!matches) return { status: 404 };
      const repo = json() as Record<string, unknown>;
      if (unknownPolicy(repo)) return { status: 400 };
      stored.body = repo;
      return { status: 204 };
    }
  }
  if (path === "/v1/tasks") {
    if (method === "GET") {
      const type = url.searchParams.get("type");
      return { status: 200, payload: { items: state.tasks.filter((t) => !type || t.type === type), continuationToken: null } };
    }
    if (method === "POST") {
      if (!state.taskCreation) return { status: 405 };
      const task = json() as { name: string; type: string };
      const created = { id: `task-${state.tasks.length + 1}`, name: task.name, type: task.type, body: task as unknown as Record<string, unknown> };
      state.tasks.push(created);
      return { status: 201, payload: { id: created.id, name: created.name, type: created.type } };
    }
  }
  return { status: 404 };
}

type ExtDirectRequest = { action: string; method: string; tid: number; type: string; data: Array<Record<string, unknown>> };

/**
 * Nexus's ExtDirect router as the UI uses it: HTTP 200 always, the outcome in
 * `result.success` (TaskComponent.create validates TaskXO: name, typeId and
 * schedule required; "advanced" needs a cronExpression; every schedule but
 * "manual" needs a timeZoneOffset that java.time.ZoneOffset.of parses).
 */
function extDirect(state: NexusStubState, request: ExtDirectRequest): Result {
  const reply = (result: Record<string, unknown>) => ({ status: 200, payload: { tid: request.tid, action: request.action, method: request.method, type: "rpc", result } });
  if (request.action !== "coreui_Task" || request.method !== "create" || !state.extDirectTaskCreation) {
    return reply({ success: false, message: `no method ${request.action}.${request.method}` });
  }
  const task = request.data[0] ?? {};
  // TaskComponent.asSchedule (nexus-public release-3.77.1-01) calls ZoneOffset.of(taskXO.getTimeZoneOffset())
  // for every schedule but "manual": a missing offset is a NullPointerException, an unparsable one a DateTimeException.
  if (task.schedule !== "manual" && !(typeof task.timeZoneOffset === "string" && /^(Z|[+-]\d{1,2}|[+-]\d{2}:?\d{2}|[+-]\d{2}:\d{2}:\d{2}|[+-]\d{6})$/.test(task.timeZoneOffset))) {
    return { status: 200, payload: { tid: request.tid, action: request.action, method: request.method, type: "exception", message: "java.lang.NullPointerException" } };
  }
  const valid =
    typeof task.name === "string" && typeof task.typeId === "string" && typeof task.schedule === "string" && (task.schedule !== "advanced" || typeof task.cronExpression === "string") && typeof task.enabled === "boolean";
  const properties = (task.properties ?? {}) as Record<string, unknown>;
  if (!valid || !Object.values(properties).every((v) => typeof v === "string")) return reply({ success: false, errors: { name: "invalid" } });
  const created = { id: `task-${state.tasks.length + 1}`, name: task.name as string, type: task.typeId as string, body: task };
  state.tasks.push(created);
  return reply({ success: true, data: { id: created.id, name: created.name, typeId: created.type } });
}

/** GET answers with server-side fields too, and never with the upstream password. */
function asReturnedByNexus(repo: StubRepository): Record<string, unknown> {
  const body = JSON.parse(JSON.stringify(repo.body)) as Record<string, unknown> & { httpClient?: { authentication?: Record<string, unknown> } };
  if (body.httpClient?.authentication) body.httpClient.authentication.password = null;
  return { ...body, format: repo.format, type: repo.type, url: `http://stub/repository/${String(repo.body.name)}`, routingRuleName: null };
}

function authorized(state: NexusStubState, req: IncomingMessage): boolean {
  const header = req.headers.authorization ?? "";
  if (!header.startsWith("Basic ")) return false;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  return decoded === `admin:${state.adminPassword}`;
}
