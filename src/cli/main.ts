#!/usr/bin/env bun
import { versionLine } from "./build-info.ts";
import { rootCommand } from "./root.ts";
import { runCli } from "./run.ts";

process.exitCode = await runCli(rootCommand, process.argv.slice(2), { version: versionLine(), env: process.env });
