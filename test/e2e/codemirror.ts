/**
 * E2E helpers for CodeMirror editors: replace the text as a user would (focus, select all,
 * type), and read where an error underline is (line, column, text) from the rendered DOM.
 */
import type { Locator } from 'playwright-core';

/** Replaces the whole text of the editor whose content element is `content`. */
export async function setEditorText(content: Locator, text: string): Promise<void> {
  await content.click();
  const page = content.page();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
}

/** The editor's text, line by line as rendered. */
export async function editorText(content: Locator): Promise<string> {
  return content.evaluate((el) => [...el.querySelectorAll(':scope > .cm-line')].map((l) => l.textContent ?? '').join('\n'));
}

/** Where an underline (a `.cm-lintRange-*` element) sits: 1-based line and column, and its text. */
export async function underlinePosition(range: Locator): Promise<{ line: number; column: number; text: string }> {
  return range.evaluate((el) => {
    const line = el.closest('.cm-line')!;
    const lines = [...line.parentElement!.querySelectorAll(':scope > .cm-line')];
    const before = document.createRange();
    before.setStart(line, 0);
    before.setEnd(el, 0);
    return { line: lines.indexOf(line) + 1, column: before.toString().length + 1, text: el.textContent ?? '' };
  });
}
