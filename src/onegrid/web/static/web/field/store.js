/* Where the field app keeps its queue: IndexedDB, or memory where the browser has none.

   Both give the same small interface, every method async and resolved only once the write is
   durable (IndexedDB: the transaction's `complete`), so a report is never sent before it is
   kept:

     getAll(name)           every row of a store
     get(name, key)         one row, or undefined
     put(name, row)         insert or replace (rows are keyed by `row.key`)
     delete(name, key)
     update(name, key, change)
                            read, change and write one row in one transaction: change(row)
                            returns the row to write, or null to write nothing. IndexedDB runs
                            read-write transactions on a store one at a time, so two tabs never
                            both see a row as free (the queue's claims rely on it).

   Rows are copies, as IndexedDB gives them: changing a row read from the store changes nothing
   until it is put back. */

export const DB_NAME = "onegrid-field";
export const STORES = ["outbox", "sent"];

/** An in-memory store: used where IndexedDB is missing (some private modes), and in tests. */
export function memoryStore(names = STORES) {
  const stores = new Map(names.map((name) => [name, new Map()]));
  const of = (name) => {
    const store = stores.get(name);
    if (!store) throw new Error(`no store ${name}`);
    return store;
  };
  const copy = (row) => (row === undefined ? undefined : structuredClone(row));
  return {
    async getAll(name) {
      return Array.from(of(name).values(), copy);
    },
    async get(name, key) {
      return copy(of(name).get(key));
    },
    async put(name, row) {
      of(name).set(row.key, copy(row));
    },
    async delete(name, key) {
      of(name).delete(key);
    },
    async update(name, key, change) {
      // Synchronous from read to write: nothing else runs in between, as in one transaction.
      const next = change(copy(of(name).get(key)));
      if (next) of(name).set(key, copy(next));
    },
  };
}

/** Opens (and on first use creates) the app's database. */
export function openDatabase(idb, name = DB_NAME, names = STORES) {
  return new Promise((resolve, reject) => {
    if (!idb) {
      reject(new Error("no IndexedDB"));
      return;
    }
    const request = idb.open(name, 1);
    request.onupgradeneeded = () => {
      for (const store of names) {
        if (!request.result.objectStoreNames.contains(store)) {
          request.result.createObjectStore(store, { keyPath: "key" });
        }
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** The store interface over an open IndexedDB database. */
export function indexedDbStore(db) {
  function run(name, mode, work) {
    return new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode);
      let result;
      const request = work(tx.objectStore(name));
      if (request) request.onsuccess = () => (result = request.result);
      // Resolve once the transaction is durable: only then is a report safe to send.
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }
  return {
    getAll: (name) => run(name, "readonly", (store) => store.getAll()),
    get: (name, key) => run(name, "readonly", (store) => store.get(key)),
    put: (name, row) => run(name, "readwrite", (store) => void store.put(row)),
    delete: (name, key) => run(name, "readwrite", (store) => void store.delete(key)),
    update: (name, key, change) =>
      run(name, "readwrite", (store) => {
        const request = store.get(key);
        request.onsuccess = () => {
          const next = change(request.result);
          if (next) store.put(next);
        };
      }).then(() => undefined),
  };
}

/**
 * IndexedDB when it opens, else memory (once, for the page's life), with `onFallback` called
 * when that happens so the worker learns that nothing survives a reload.
 */
export function browserStore({ idb, onFallback }) {
  let ready = null;
  const store = () => {
    if (!ready) {
      ready = openDatabase(idb).then(indexedDbStore, () => {
        if (onFallback) onFallback();
        return memoryStore();
      });
    }
    return ready;
  };
  return {
    getAll: async (name) => (await store()).getAll(name),
    get: async (name, key) => (await store()).get(name, key),
    put: async (name, row) => (await store()).put(name, row),
    delete: async (name, key) => (await store()).delete(name, key),
    update: async (name, key, change) => (await store()).update(name, key, change),
  };
}
