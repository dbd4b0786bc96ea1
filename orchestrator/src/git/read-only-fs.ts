/**
 * The file system isomorphic-git gets when it reads a person's repository (their `.git` and their
 * working tree): it can read, never write — any write, mkdir, unlink or symlink fails with EROFS, so
 * no bug or feature of the library (an index stat refresh, a lock file, a packed ref) can change
 * their checkout. Files are opened without following a final symlink and must be regular: a
 * symlinked `.gitignore` is read as absent (as git does since 2.32), a FIFO never blocks a read.
 */
import { constants, promises as fsp } from 'node:fs';

function fsError(code: 'ENOENT' | 'EROFS', p: unknown): NodeJS.ErrnoException {
  const what = code === 'EROFS' ? "the person's repository is read-only to PushPals" : 'not a regular file';
  return Object.assign(new Error(`${code}: ${what}: ${String(p)}`), { code });
}

async function refuse(p: unknown): Promise<never> {
  throw fsError('EROFS', p);
}

async function readFileNoFollow(p: string, options?: { encoding?: BufferEncoding | null } | BufferEncoding): Promise<Buffer | string> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(p, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw fsError('ENOENT', p);
    throw e;
  }
  try {
    if (!(await fh.stat()).isFile()) throw fsError('ENOENT', p);
    return await fh.readFile(options);
  } finally {
    await fh.close();
  }
}

/** An isomorphic-git `fs` client (promise flavour) that reads and never writes. */
export const readOnlyFs = {
  promises: {
    readFile: readFileNoFollow,
    writeFile: refuse,
    mkdir: refuse,
    rmdir: refuse,
    rm: refuse,
    unlink: refuse,
    symlink: refuse,
    stat: fsp.stat,
    lstat: fsp.lstat,
    readdir: fsp.readdir,
    readlink: fsp.readlink,
  },
};
