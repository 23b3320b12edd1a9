#!/usr/bin/env bun
import { rootCommand, VERSION } from "./root.ts";
import { runCli } from "./run.ts";

process.exitCode = await runCli(rootCommand, process.argv.slice(2), { version: VERSION, env: process.env });
