/**
 * Control characters in a name (a pod called `\x1b[2J…`) must not reach a terminal raw, where
 * they would move the cursor, clear the screen or retitle the terminal. They are written as
 * `\xHH` (C1 controls as `\u00HH`), the way `ls --quoting-style=c` shows them; newline and tab
 * stay, since command output is made of lines and columns.
 */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function escapeControl(s: string): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(s)) return s;
  return s.replace(CONTROL, (ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
