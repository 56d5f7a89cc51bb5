import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import { startApp } from './app/boot.ts';
import './app/theme.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
startApp();
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
