import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, statSync, utimesSync, writeFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createStorage } from "unstorage";
import atomicFsDriver, { fileForKey, moveFileAside, sweepTempFiles, writeFileAtomic } from "../../src/state/fs-driver.ts";
import { removeTempDirs, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

const mode = (p: string) => statSync(p).mode & 0o777;

describe("atomic fs driver", () => {
  test("files are 0600 in 0700 folders, and keys map to <base>/<a>/<b>.json", async () => {
    const base = join(tempDir(), "state"); // does not exist yet
    const storage = createStorage({ driver: atomicFsDriver({ base }) });
    await storage.setItem("pool:alice", '{"x":1}');
    await storage.setItem("settings", "{}");
    expect(fileForKey(base, "pool:alice")).toBe(join(base, "pool", "alice.json"));
    expect(mode(base)).toBe(0o700);
    expect(mode(join(base, "pool"))).toBe(0o700);
    expect(mode(join(base, "pool", "alice.json"))).toBe(0o600);
    expect(mode(join(base, "settings.json"))).toBe(0o600);
    expect(await storage.getItemRaw("pool:alice")).toBe('{"x":1}');
    expect((await storage.getKeys("pool")).sort()).toEqual(["pool:alice"]);
    expect((await storage.getKeys()).sort()).toEqual(["pool:alice", "settings"]);
    await storage.removeItem("pool:alice");
    expect(await storage.getItemRaw("pool:alice")).toBeNull();
    await storage.removeItem("pool:alice"); // absent: fine
  });

  test("readers during overwrites only ever see a whole old or a whole new content", async () => {
    const base = tempDir();
    const file = join(base, "x.json");
    await writeFileAtomic(file, "a".repeat(5_000));
    let writing = true;
    const seen: string[] = [];
    const reader = (async () => {
      while (writing) {
        seen.push(readFileSync(file, "utf8"));
        await Bun.sleep(0);
      }
    })();
    for (let i = 0; i < 10; i++) await writeFileAtomic(file, String(i % 10).repeat(i % 2 ? 5_000 : 4_000));
    writing = false;
    await reader;
    expect(seen.length).toBeGreaterThan(0);
    for (const text of seen) {
      expect(new Set(text).size).toBe(1); // a single writer's character, never a mix
      expect([4_000, 5_000]).toContain(text.length);
    }
    expect(readdirSync(base)).toEqual(["x.json"]); // no temp file left
  });

  test("temp files, moved-aside files and other files are not entries", async () => {
    const base = tempDir();
    mkdirSync(join(base, "pool"), { recursive: true });
    writeFileSync(join(base, "pool", "a.json"), "{}");
    writeFileSync(join(base, "pool", "a.json.tmp-123-1"), "{");
    writeFileSync(join(base, "pool", "b.json.corrupt-2026"), "{");
    writeFileSync(join(base, "pool", "notes.txt"), "hi");
    const storage = createStorage({ driver: atomicFsDriver({ base }) });
    expect(await storage.getKeys("pool")).toEqual(["pool:a"]);
  });

  test("old temp files are swept, fresh ones (a writer right now) are kept", async () => {
    const base = tempDir();
    const old = join(base, "a.json.tmp-1-1");
    const fresh = join(base, "b.json.tmp-2-1");
    writeFileSync(old, "{");
    writeFileSync(fresh, "{");
    const past = new Date(Date.now() - 120_000);
    utimesSync(old, past, past);
    expect(await sweepTempFiles(base, 60_000, Date.now())).toBe(1);
    expect(readdirSync(base)).toEqual(["b.json.tmp-2-1"]);
  });

  test("moving aside renames to <name>.corrupt-<stamp>", async () => {
    const base = tempDir();
    const storage = createStorage({ driver: atomicFsDriver({ base }) });
    await storage.setItem("pool:bad", "{oops");
    const to = await moveFileAside(base, "pool:bad", ".corrupt-2026-01-01T00-00-00-000Z");
    expect(to).toBe(join(base, "pool", "bad.json.corrupt-2026-01-01T00-00-00-000Z"));
    expect(readFileSync(to!, "utf8")).toBe("{oops");
    expect(await storage.getItemRaw("pool:bad")).toBeNull();
    expect(await moveFileAside(base, "pool:bad", ".corrupt-x")).toBeUndefined();
  });
});
