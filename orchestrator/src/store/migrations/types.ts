/** One numbered schema migration. Applied once, in id order, inside a transaction. */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}
