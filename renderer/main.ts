import { mount } from 'svelte';
import App from './App.svelte';
import { captureToken } from './lib/api.ts';
import './app.css';

// First: the web host's token leaves the address bar before anything else runs.
captureToken();
mount(App, { target: document.getElementById('app')! });
