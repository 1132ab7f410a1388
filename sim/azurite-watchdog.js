/* global process */
'use strict';
/**
 * Preloaded (node --require) into the Azurite child by azurite.ts. The child is spawned with an
 * IPC channel; the OS closes it when the parent dies, even by SIGKILL or a jest worker being torn
 * down, so Azurite exits instead of living on as an orphan holding a port.
 */
if (typeof process.send === 'function') {
  process.on('disconnect', () => process.exit(0));
}
