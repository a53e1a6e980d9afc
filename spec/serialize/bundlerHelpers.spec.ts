import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { transform } from 'esbuild';
import ts from 'typescript';
import { FuncXClient } from '../../lib/client/FuncXClient.js';
import { SerializationError } from '../../lib/errors/SerializationError.js';
import { startLocalService, type LocalService } from '../../lib/local/startLocalService.js';
import { serializeFunction, serializeFunctionSource } from '../../lib/serialize/serialize.js';

const ASYNC_SOURCE = 'globalThis.__captured = async function scale(x) { await null; return x * 2; };';

/** Evaluates built code and returns the function it left on globalThis, as a page's bundle would. */
function evaluate(code: string): (x: number) => Promise<number> {
  new Function(code)();
  const captured = (globalThis as { __captured?: (x: number) => Promise<number> }).__captured!;
  delete (globalThis as { __captured?: unknown }).__captured;
  return captured;
}

const REWRITTEN = /^Function `\w+` was rewritten by a bundler or transpiler: its source calls `[^`]+`.*registerFunction\(\{ name: '\w+', source: .*funcx-rx function register <file>/;

describe('serializeFunction - functions that builds rewrote', () => {
  it('should refuse an async function esbuild lowered to __async (as Angular with zone.js does)', async () => {
    const { code } = await transform(ASYNC_SOURCE, { target: 'es2016', format: 'iife' });
    const fn = evaluate(code);
    assert.equal(await fn(21), 42, 'the rewritten function works where its helper is');
    assert.throws(() => serializeFunction(fn), (error: unknown) => error instanceof SerializationError && REWRITTEN.test(error.message) && error.message.includes('`__async`'));
  });

  it('should refuse it minified too, where the helper has a one-letter name', async () => {
    const { code } = await transform(ASYNC_SOURCE, { target: 'es2016', format: 'iife', minify: true, keepNames: true });
    const fn = evaluate(code);
    assert.ok(!/__async/.test(fn.toString()), `minified: ${fn.toString()}`);
    assert.equal(await fn(2), 4);
    assert.throws(() => serializeFunction(fn), (error: unknown) => error instanceof SerializationError && REWRITTEN.test(error.message) && /function ?\*/.test(error.message));
  });

  it("should refuse TypeScript's __awaiter output", async () => {
    const { outputText } = ts.transpileModule(ASYNC_SOURCE, { compilerOptions: { target: ts.ScriptTarget.ES2015, module: ts.ModuleKind.None } });
    const fn = evaluate(outputText);
    assert.equal(await fn(5), 10);
    assert.throws(() => serializeFunction(fn), (error: unknown) => error instanceof SerializationError && error.message.includes('`__awaiter`'));
  });

  it('should accept functions no build touched', () => {
    assert.doesNotThrow(() => serializeFunction(async (x: number) => (await import('node:os')).EOL + String(x)));
    assert.doesNotThrow(() => serializeFunction(function* count() { yield 1; }));
    assert.doesNotThrow(() => serializeFunction((items: number[]) => items.map((i) => ({ ...{ i } }))));
  });

  it('serializeFunctionSource - should check name and source', () => {
    assert.equal(serializeFunctionSource({ name: 'double', source: '(x) => x * 2' }), 'js\n{"name":"double","source":"(x) => x * 2"}');
    assert.throws(() => serializeFunctionSource({ name: 'x', source: '  ' }), /Expected `source` to be the non-empty source text of a function/);
    assert.throws(() => serializeFunctionSource({ source: 'x => x' } as never), /Expected `name` to be a string/);
  });
});

describe('registerFunction({ name, source })', () => {
  let local: LocalService;
  before(async () => (local = await startLocalService({ workers: 1 })));
  after(() => local.stop());

  it('should register source text and run it, typed by the caller', async () => {
    const fxc = new FuncXClient({ serviceUrl: local.url, token: local.token, asynchronous: true });
    const functionId = await fxc.registerFunction<(x: number) => Promise<number>>({ name: 'double', source: 'async (x) => { await new Promise((r) => setTimeout(r, 5)); return x * 2; }' });
    const doubled: number = await fxc.run({ functionId, endpointId: local.endpointId }, 21);
    assert.equal(doubled, 42);
  });

  it('should refuse a rewritten function before any request', async () => {
    const { code } = await transform(ASYNC_SOURCE, { target: 'es2016', format: 'iife' });
    const fxc = new FuncXClient({ serviceUrl: local.url, token: local.token });
    await assert.rejects(fxc.registerFunction(evaluate(code)), SerializationError);
  });
});
