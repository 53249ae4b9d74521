import { Testing } from "cdktf";
const { skipTokenStackTraces } = require("../../stacks/token-traces.cjs") as { skipTokenStackTraces: () => boolean };

// cdktf's jest matchers (toHaveResource, toHaveResourceWithProperties, ...).
Testing.setupJest();

// As in the app command: cdktf's token creation stacks are not recorded (about a third of the
// example's construction time); PLATFORM_TOKEN_STACK_TRACES=1 keeps them to debug an unresolvable
// token. test/stacks/token-traces.test.ts checks the hook in child processes.
skipTokenStackTraces();
