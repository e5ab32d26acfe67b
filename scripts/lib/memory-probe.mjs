// Where a process's anonymous memory is, for the soak (issue 25): the kernel's view split by mapping,
// V8's view of its own pages, and (optionally) glibc malloc's view of its arenas.
//   anonymousParts()   /proc/self/smaps: anonymous kB of glibc's main heap ([heap], brk), of the other
//                      anonymous mappings (V8's pages, glibc's other arenas and its mmapped chunks,
//                      thread stacks) and of file mappings' private copies; V8's physical pages apart.
//   mallocInfo(pid)    glibc's malloc_info(3) of a live process, read with gdb (no native addon): bytes
//                      the arenas hold from the kernel, and how much of that is free inside them (free
//                      = fragmentation or cached; in use = what the program's malloc calls keep).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';

const MB = (kB) => +((kB * 1024) / 1e6).toFixed(2);

export function anonymousParts() {
  if (!existsSync('/proc/self/smaps')) return null;
  let name = '';
  const kB = { brkHeap: 0, otherAnon: 0, fileCow: 0, stack: 0 };
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+\s+\S+\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (header) {
      name = header[1];
      continue;
    }
    const m = /^Anonymous:\s+(\d+) kB/.exec(line);
    if (!m) continue;
    const n = Number(m[1]);
    if (name === '[heap]') kB.brkHeap += n;
    else if (name === '[stack]') kB.stack += n;
    else if (name === '' || name.startsWith('[')) kB.otherAnon += n;
    else kB.fileCow += n;
  }
  const v8PhysicalMB = +(getHeapSpaceStatistics().reduce((a, s) => a + s.physical_space_size, 0) / 1e6).toFixed(2);
  return {
    brkHeapMB: MB(kB.brkHeap),
    otherAnonMB: MB(kB.otherAnon),
    fileCowMB: MB(kB.fileCow),
    stackMB: MB(kB.stack),
    v8PhysicalMB,
  };
}

let gdbMissing = false;
/** glibc malloc_info of process `pid` through gdb (attaches, calls malloc_info into a file, detaches), or null. */
export function mallocInfo(pid = process.pid) {
  if (gdbMissing) return null;
  const file = join(tmpdir(), `niftybox-malloc-info-${pid}-${Date.now()}.xml`);
  const r = spawnSync(
    'gdb',
    [
      '-p',
      String(pid),
      '-batch',
      '-nx',
      '-ex',
      `call (void*)fopen("${file}", "w")`,
      '-ex',
      'call (int)malloc_info(0, $1)',
      '-ex',
      'call (int)fclose($1)',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.error) {
    gdbMissing = true;
    return null;
  }
  if (!existsSync(file)) return null;
  const xml = readFileSync(file, 'utf8');
  rmSync(file, { force: true });
  // the last <total>/<system> elements are the whole allocator's; per-<heap> ones come before
  const tail = xml.slice(xml.lastIndexOf('</heap>'));
  const num = (re) => Number(re.exec(tail)?.[1] ?? NaN);
  const fastFree = num(/<total type="fast" count="\d+" size="(\d+)"/);
  const restFree = num(/<total type="rest" count="\d+" size="(\d+)"/);
  const mmapped = num(/<total type="mmap" count="\d+" size="(\d+)"/);
  const current = num(/<system type="current" size="(\d+)"/);
  const arenas = (xml.match(/<heap nr=/g) ?? []).length;
  const free = fastFree + restFree;
  return {
    arenas,
    arenaMB: +(current / 1e6).toFixed(2),
    freeInArenasMB: +(free / 1e6).toFixed(2),
    inUseMB: +((current - free) / 1e6).toFixed(2),
    mmappedMB: +(mmapped / 1e6).toFixed(2),
  };
}
