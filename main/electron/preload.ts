/**
 * The window's preload (sandboxed, bundled as CommonJS): exposes the contract's Bridge as
 * `window.vqlBridge` and nothing else.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_GLOBAL } from '../ipc/contract.ts';
import { makeBridge } from './preload-bridge.ts';

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, makeBridge(ipcRenderer));
