import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import Prompter from './pages/Prompter.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
// The prompter window loads the same page with #prompter.
export default mount(window.location.hash === '#prompter' ? Prompter : App, { target });
