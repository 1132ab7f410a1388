import { RestError } from '@azure/core-rest-pipeline';
import { GovernError, errorInfo, isConflict } from '../../../shared/engine/errors';

describe('errorInfo', () => {
  it('keeps the code and message of a GovernError', () => {
    const error = new GovernError('SubscriptionNotFound', 'Subscription 00000000-0000-0000-0000-0000000000a1 is not visible.');

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('GovernError');
    expect(errorInfo(error)).toEqual({
      code: 'SubscriptionNotFound',
      message: 'Subscription 00000000-0000-0000-0000-0000000000a1 is not visible.',
    });
  });

  it('keeps the whole message of a GovernError, even over several lines', () => {
    expect(errorInfo(new GovernError('Multi', 'first\nsecond'))).toEqual({ code: 'Multi', message: 'first\nsecond' });
  });

  it('keeps the ARM error code of a RestError', () => {
    const error = new RestError('The client does not have authorization to perform action.', { code: 'AuthorizationFailed', statusCode: 403 });

    expect(errorInfo(error)).toEqual({ code: 'AuthorizationFailed', message: 'The client does not have authorization to perform action.' });
  });

  it('uses the HTTP status of a RestError without a code', () => {
    expect(errorInfo(new RestError('Service Unavailable', { statusCode: 503 }))).toEqual({ code: 'HTTP503', message: 'Service Unavailable' });
  });

  it('falls back to HTTPError for a RestError with neither code nor status', () => {
    expect(errorInfo(new RestError('socket hang up'))).toEqual({ code: 'HTTPError', message: 'socket hang up' });
  });

  it('keeps only the first line of a RestError message carrying a response body', () => {
    const error = new RestError('Conflict: another update is in progress.\n{"error":{"code":"Conflict","message":"..."}}', {
      code: 'Conflict',
      statusCode: 409,
    });

    expect(errorInfo(error)).toEqual({ code: 'Conflict', message: 'Conflict: another update is in progress.' });
  });

  it('cuts a very long first line to 1000 characters', () => {
    expect(errorInfo(new RestError('y'.repeat(5000), { statusCode: 500 })).message).toBe('y'.repeat(1000));
  });

  it('uses the string code of a Node system error', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });

    // A loopback address names this machine, nobody: it is kept (the endpoint it names is the clue).
    expect(errorInfo(error)).toEqual({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:443' });
    expect(errorInfo(Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:443'), { code: 'ECONNREFUSED' })).message).toBe('connect ECONNREFUSED <ip>:443');
  });

  it('uses the error name when the code is not a string', () => {
    const error = Object.assign(new Error('odd'), { code: 42 });

    expect(errorInfo(error)).toEqual({ code: 'Error', message: 'odd' });
  });

  it('uses the name of a plain Error and of its subclasses', () => {
    expect(errorInfo(new Error('boom\nstack-ish detail'))).toEqual({ code: 'Error', message: 'boom' });
    expect(errorInfo(new TypeError("Cannot read properties of undefined (reading 'id')"))).toEqual({
      code: 'TypeError',
      message: "Cannot read properties of undefined (reading 'id')",
    });
  });

  it('falls back to Error for an Error with an empty name', () => {
    const error = new Error('nameless');
    error.name = '';

    expect(errorInfo(error)).toEqual({ code: 'Error', message: 'nameless' });
  });

  it.each<[unknown, string]>([
    ['a thrown string', 'a thrown string'],
    [42, '42'],
    [undefined, 'undefined'],
    [null, 'null'],
    [{ code: 'NotAnError' }, '[object Object]'],
  ])('turns the non-Error %p into code Error', (thrown, message) => {
    expect(errorInfo(thrown)).toEqual({ code: 'Error', message });
  });
});

describe('isConflict', () => {
  it('is true only for a RestError with status 409', () => {
    expect(isConflict(new RestError('Conflict', { statusCode: 409 }))).toBe(true);
    expect(isConflict(new RestError('Conflict', { statusCode: 429 }))).toBe(false);
    expect(isConflict(new RestError('Conflict', { code: 'Conflict' }))).toBe(false);
    expect(isConflict(Object.assign(new Error('Conflict'), { statusCode: 409 }))).toBe(false);
    expect(isConflict(new GovernError('Conflict', '409'))).toBe(false);
  });
});
