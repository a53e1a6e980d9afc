import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { errorFormOf, serializeErrorAs } from '../../lib/serialize/errorForm.js';
import { pack } from '../../lib/serialize/pack.js';
import { pickleRemoteException } from '../../lib/serialize/pickledException.js';
import { packPayload } from '../../lib/serialize/serialize.js';
import { splitTaskOptions, withTaskOptions } from '../../lib/serialize/taskOptions.js';

const PICKLED_ARGS = pack(['00\ngASVBQAAAAAAAABLMoWULg==\n', '00\ngAR9lC4=\n']);

describe('task options, exception forms and the hand-written exception pickle (docs/serialization.md, "Results")', () => {
  it('splitTaskOptions() - takes off what withTaskOptions() appended, and leaves plain payloads as they are', () => {
    const plain = packPayload([50], { by: 3 });
    assert.deepEqual(splitTaskOptions(withTaskOptions(plain, { submitter: 'globus-compute', result_serializers: ['x.JSONData'] })), { payload: plain, options: { submitter: 'globus-compute', result_serializers: ['x.JSONData'] } });
    assert.deepEqual(splitTaskOptions(plain), { payload: plain, options: null });
    // Lengths count code points: a payload with surrogate pairs still splits exactly.
    const wide = pack(['11\n["😀"]', '11\n{}']);
    assert.deepEqual(splitTaskOptions(withTaskOptions(wide, { submitter: 'globus-compute' })), { payload: wide, options: { submitter: 'globus-compute' } });
  });

  it('splitTaskOptions() - a third buffer that is not options is left for the worker to refuse', () => {
    const odd = pack(['11\n[]', '11\n{}', '11\n{}']);
    assert.deepEqual(splitTaskOptions(odd), { payload: odd, options: null });
    const broken = `${pack(['11\n[]', '11\n{}'])}9\nrx\n{nope`;
    assert.deepEqual(splitTaskOptions(broken), { payload: broken, options: null });
  });

  it('errorFormOf() - JSON arguments: je; pickled ones (00, or 13 with a 00 part): pickle; a v3 submit: text', () => {
    assert.equal(errorFormOf(packPayload([1])), 'je');
    assert.equal(errorFormOf(PICKLED_ARGS), 'pickle');
    assert.equal(errorFormOf(pack([`13\n${pack(['11\n[1]', '00\ngASVBQAAAAAAAABLAYWULg==\n'])}`, '11\n{}'])), 'pickle');
    assert.equal(errorFormOf(pack([`13\n${pack(['11\n[1]'])}`, '11\n{}'])), 'je');
    assert.equal(errorFormOf(withTaskOptions(PICKLED_ARGS, { submitter: 'globus-compute' })), 'text');
    assert.equal(errorFormOf('not a payload'), 'je');
  });

  it('serializeErrorAs() - text is the name and message, as a traceback\'s last line', () => {
    const timeout = Object.assign(new Error('ran past 5 ms'), { name: 'TaskTimeout' });
    assert.equal(serializeErrorAs('text', timeout), 'TaskTimeout: ran past 5 ms');
    assert.match(serializeErrorAs('je', timeout), /^je\n\{"name":"TaskTimeout","message":"ran past 5 ms"/);
    assert.match(serializeErrorAs('pickle', timeout), /^00\n/);
  });

  it('pickleRemoteException() - plain pickle reads it: reraise() raises it, and e_value is the exception\'s pickle', { skip: existsSync('/usr/bin/python3') ? false : 'needs /usr/bin/python3' }, async () => {
    const value = pickleRemoteException('TaskTimeout', 'ran past 5 ms', 'at the endpoint');
    const read = [
      'import codecs, pickle, sys',
      'w = pickle.loads(codecs.decode(sys.argv[1][3:].encode(), "base64"))',
      'try:',
      '    w.reraise()',
      'except Exception as e:',
      '    raised = e',
      'print(repr(raised) == repr(pickle.loads(w.e_value)), w.e_traceback, repr(raised))',
    ].join('\n');
    const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', read, value]);
    assert.equal(stdout.trim(), "True None Exception('TaskTimeout: ran past 5 ms\\nat the endpoint')");
  });
});
