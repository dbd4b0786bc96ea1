/**
 * The files VS Code's merge editor works on for a conflict of "Apply to My Checkout", kept in memory:
 * the base, "Yours" and "PushPals" (read-only) and the merge result. The result is a file here, not the
 * person's real file, so nothing reaches their working tree until the merge editor SAVES it (Complete
 * Merge, or Save): that write is handed to `onResultWrite`, which may refuse it (the save then fails
 * visibly and the merge editor keeps the result). A file system provider rather than a content
 * provider because the merge editor's result must be a writable text file model.
 */
import * as vscode from 'vscode';

interface Entry {
  data: Uint8Array;
  mtime: number;
  readonly: boolean;
}

export type ResultWriter = (uri: vscode.Uri, content: string) => Promise<void>;

export class MergeFileSystem implements vscode.FileSystemProvider {
  private readonly files = new Map<string, Entry>();
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;

  constructor(private readonly onResultWrite: ResultWriter) {}

  /** Adds (or replaces) a file; `readonly` for the three inputs. */
  put(uri: vscode.Uri, content: string, readonly: boolean): void {
    const had = this.files.has(uri.toString());
    this.files.set(uri.toString(), { data: Buffer.from(content, 'utf8'), mtime: Date.now(), readonly });
    this.changed.fire([{ type: had ? vscode.FileChangeType.Changed : vscode.FileChangeType.Created, uri }]);
  }

  text(uri: vscode.Uri): string | undefined {
    const e = this.files.get(uri.toString());
    return e && Buffer.from(e.data).toString('utf8');
  }

  /** Forgets every file whose URI starts with `prefix` (a finished or replaced merge). */
  drop(prefix: vscode.Uri): void {
    const p = prefix.toString();
    for (const k of [...this.files.keys()]) if (k.startsWith(p)) this.files.delete(k);
  }

  private entry(uri: vscode.Uri): Entry {
    const e = this.files.get(uri.toString());
    if (!e) throw vscode.FileSystemError.FileNotFound(uri);
    return e;
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const e = this.files.get(uri.toString());
    // Any prefix of a stored file is a directory (VS Code stats parents when it resolves a file).
    if (!e) {
      const dir = uri.toString().replace(/\/?$/, '/');
      if ([...this.files.keys()].some((k) => k.startsWith(dir))) return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
      throw vscode.FileSystemError.FileNotFound(uri);
    }
    return { type: vscode.FileType.File, ctime: e.mtime, mtime: e.mtime, size: e.data.byteLength, ...(e.readonly ? { permissions: vscode.FilePermission.Readonly } : {}) };
  }

  readFile(uri: vscode.Uri): Uint8Array {
    return this.entry(uri).data;
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const e = this.entry(uri);
    if (e.readonly) throw vscode.FileSystemError.NoPermissions(uri);
    await this.onResultWrite(uri, Buffer.from(content).toString('utf8'));
    e.data = content;
    e.mtime = Date.now();
    this.changed.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined); // changes are announced through onDidChangeFile
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
