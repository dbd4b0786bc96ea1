// Minimal ambient declaration for mvdan-sh (the GopherJS build of mvdan.cc/sh/v3/syntax), which
// ships no types. Only what shell.ts uses; nodes are typed structurally there.
declare module 'mvdan-sh' {
  interface MvdanParser {
    /** Throws an object whose Error() method returns "name:line:col: message" on a syntax error. */
    Parse(src: string, name: string): unknown;
  }
  interface MvdanSyntax {
    NewParser(...options: unknown[]): MvdanParser;
    NodeType(node: unknown): string;
    Walk(node: unknown, visit: (node: unknown) => boolean): void;
    Variant(lang: unknown): unknown;
    LangBash: unknown;
  }
  export const syntax: MvdanSyntax;
}
