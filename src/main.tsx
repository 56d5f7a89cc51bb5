import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import { startApp } from './app/boot.ts';
import './app/theme.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
startApp();
// works offline once loaded (DESIGN §3); only in a built app, where assets have stable hashed names
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => void navigator.serviceWorker.register('./sw.js').catch(() => undefined));
}
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
