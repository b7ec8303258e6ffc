// Keepsake's PKI: a cluster CA made on first boot, server/node/client certificates issued from it.
export * from './ca';
export * from './files';
