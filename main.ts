import { App } from "cdktf";
import { buildPlatform } from "./stacks/app";
import { exampleConfig } from "./stacks/example-config";

// The cdktf app: every stack from the example configuration.
const app = new App();
buildPlatform(app, exampleConfig);
app.synth();
