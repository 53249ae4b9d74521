// Loads TypeScript for the app (`node -r ./stacks/register.cjs main.ts`).
//
// cdktf records a full stack trace for every token it creates, and the default
// source-map support of @swc-node/register maps every frame of every trace:
// that was half of the example app's construct + synth time. Inline source
// maps keep TypeScript positions for the debugger while the traces cdktf
// keeps stay unmapped (validation errors name construct paths, not frames).
// Measured in bench/README.md.
process.env.SWC_NODE_SOURCE_MAP_MODE ??= "inline";
require("@swc-node/register");
