// Opens a page in headless Chromium, screenshots it, clicks the first form's
// submit button, screenshots the result, and prints one JSON line:
//   {"before": {status, title, h1, text, buttons}, "after": {status, title, h1, text}}
// Usage: node click.mjs URL OUT_DIR
// Env: TEST_PLAYWRIGHT (the playwright-core package directory) and
// TEST_CHROMIUM (the browser); scripts/test.sh provides both.
import { createRequire } from "node:module";
import path from "node:path";

const [url, outDir] = process.argv.slice(2);
const fail = (msg) => {
  console.error(`click.mjs: ${msg}`);
  process.exit(1);
};
if (!url || !outDir) fail("usage: node click.mjs URL OUT_DIR");
for (const name of ["TEST_PLAYWRIGHT", "TEST_CHROMIUM"]) {
  if (!process.env[name]) fail(`${name} is not set; run the tests with bash scripts/test.sh`);
}
const require = createRequire(import.meta.url);
const { chromium } = require(process.env.TEST_PLAYWRIGHT);

const describe = async (page, response) => ({
  status: response ? response.status() : null,
  title: await page.title(),
  h1: await page.locator("h1").first().innerText().catch(() => ""),
  text: await page.locator("body").innerText(),
});

// A guard against a hang, not a timing check: generous, because the test
// command runs two test passes side by side on a 2-core machine.
let step = "launching Chromium";
const timer = setTimeout(() => fail(`gave up after 60 s while ${step}`), 60_000);
const browser = await chromium.launch({
  executablePath: process.env.TEST_CHROMIUM,
  args: ["--no-sandbox"],
});
try {
  step = "opening a page";
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  step = `loading ${url}`;
  const first = await page.goto(url);
  step = "reading the page";
  await page.screenshot({ path: path.join(outDir, "before.png"), fullPage: true });
  const before = await describe(page, first);
  before.buttons = await page.locator("button, input[type=submit]").allInnerTexts();
  step = "submitting the form";
  const [second] = await Promise.all([
    page.waitForNavigation(),
    page.locator("form").first().locator("button[type=submit], input[type=submit]").first().click(),
  ]);
  await page.screenshot({ path: path.join(outDir, "after.png"), fullPage: true });
  const after = await describe(page, second);
  console.log(JSON.stringify({ before, after }));
} catch (e) {
  fail(e.message);
} finally {
  clearTimeout(timer);
  await browser.close();
}
