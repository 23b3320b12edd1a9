#!/usr/bin/env bun
import { needsRelaunch, relaunchWithRaisedFetchLimit } from "./fetch-limit.ts";

// Before anything else is loaded: the server runs in a child that can hold more than Bun's default
// 256 upstream requests (fetch-limit.ts explains why).
if (needsRelaunch(process.argv.slice(2))) {
  const code = await relaunchWithRaisedFetchLimit();
  if (code !== undefined) process.exit(code);
}
const { versionLine } = await import("./build-info.ts");
const { rootCommand } = await import("./root.ts");
const { runCli } = await import("./run.ts");
process.exitCode = await runCli(rootCommand, process.argv.slice(2), { version: versionLine(), env: process.env });
