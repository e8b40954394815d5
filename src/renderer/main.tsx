// The window's entry: applies the saved theme before the first paint, connects to the core
// (Electron IPC or the headless web bridge) and renders the app.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { connectBridge } from './bridge.js';
import { applyTheme, readTheme } from './components/theme.js';
import './styles.css';

applyTheme(readTheme());
const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element.');
createRoot(root).render(
  <StrictMode>
    <App bridge={connectBridge()} />
  </StrictMode>,
);
