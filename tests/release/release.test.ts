// The release binaries as users get them: the linux arm64 one runs under qemu-user (Debian
// qemu-user-static plus the arm64 C library from libc6-arm64-cross), and the checksums file
// is one `sha256sum -c` accepts. (The linux x64 one is exercised by tests/cli/binary.test.ts.)
import { beforeAll, expect, test } from "bun:test";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { fileName, TARGETS, writeChecksums } from "../../scripts/release.ts";
import { REPO, freePort, runCli, spawnCli, tempDir, waitForOk } from "../cli/helpers.ts";
import { releaseBinary, testCommit } from "../support/release-build.ts";

/** Where Debian's libc6-arm64-cross puts the arm64 loader and C library qemu needs for a glibc binary. */
const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";
const qemu = Bun.which("qemu-aarch64-static") ?? Bun.which("qemu-aarch64");
const canEmulate = Boolean(qemu) && existsSync(join(ARM64_SYSROOT, "lib", "ld-linux-aarch64.so.1"));
if (!canEmulate && process.env.CI) {
  throw new Error("CI needs qemu-user-static and libc6-arm64-cross (with libgcc-s1-arm64-cross) to run the arm64 binary");
}

let arm64: string;
beforeAll(async () => {
  arm64 = await releaseBinary("linux-arm64");
}, 180_000);

test("the linux arm64 binary is aarch64, answers --version under qemu, and runs start --demo", async () => {
  const header = readFileSync(arm64).subarray(0, 20);
  expect(header.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
  expect(header.readUInt16LE(18)).toBe(183); // EM_AARCH64
  if (!canEmulate) return console.warn("qemu-aarch64-static or libc6-arm64-cross missing: not run outside CI");
  const bin = [qemu!, "-L", ARM64_SYSROOT, arm64];
  // Emulated, the runtime starts in seconds rather than milliseconds: both runs go side by side,
  // and the limits leave room for a busy machine.
  const version = runCli(["--version"], { bin });
  const port = await freePort();
  const cli = spawnCli(["start", "--demo", "--port", String(port)], { cwd: tempDir("agcp-arm64-"), bin });
  try {
    const health = await waitForOk(`http://127.0.0.1:${port}/health`, 120_000);
    expect(((await health.json()) as { status?: string }).status).toBe("ok");
    const res = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 32, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { type: string }).type).toBe("message");
    cli.proc.kill("SIGTERM");
    expect((await cli.finish()).code).toBe(0);
  } finally {
    cli.proc.kill("SIGKILL");
  }
  const v = await version;
  expect(v.code).toBe(0);
  expect(v.stdout.trim()).toBe(`agcp ${pkg.version} (commit ${testCommit()}, linux-arm64)`);
}, 180_000);

test("SHA256SUMS is in the format sha256sum -c checks, and catches a changed file", async () => {
  const dir = tempDir("agcp-sums-");
  const x64 = await releaseBinary("linux-x64");
  copyFileSync(x64, join(dir, fileName("linux-x64")));
  copyFileSync(arm64, join(dir, fileName("linux-arm64")));
  writeChecksums(dir, [fileName("linux-x64"), fileName("linux-arm64")]);
  const ok = Bun.spawnSync(["sha256sum", "-c", "SHA256SUMS"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  expect(ok.stdout.toString()).toBe("agcp-linux-x64: OK\nagcp-linux-arm64: OK\n");
  expect(ok.exitCode).toBe(0);
  await Bun.write(join(dir, fileName("linux-arm64")), "tampered");
  expect(Bun.spawnSync(["sha256sum", "-c", "SHA256SUMS"], { cwd: dir, stdout: "pipe", stderr: "pipe" }).exitCode).not.toBe(0);
}, 180_000);

test("the release workflow builds every target with npm run release and attaches the files and SHA256SUMS", () => {
  const workflow = readFileSync(join(REPO, ".github", "workflows", "release.yml"), "utf8");
  expect(workflow).toMatch(/on:\s*\n\s*push:\s*\n\s*tags:/);
  expect(workflow).toContain("npm run release");
  expect(workflow).toContain("dist/release/SHA256SUMS");
  for (const target of Object.keys(TARGETS) as (keyof typeof TARGETS)[]) expect(workflow).toContain(`dist/release/${fileName(target)}`);
});
