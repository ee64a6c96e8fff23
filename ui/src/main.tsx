import React from "react";
import ReactDOM from "react-dom/client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import "./i18n";
import "./style.css";
import { App } from "./App";

// Start-up figures for the benchmark: the page's code has run (its first-screen mark is in the worklist).
performance.mark("switchboard:script");

const queries = new QueryClient({ defaultOptions: { queries: { staleTime: 30_000, retry: false } } });

ReactDOM.createRoot(document.getElementById("root")!).render(
  <React.StrictMode>
    <QueryClientProvider client={queries}>
      <App />
    </QueryClientProvider>
  </React.StrictMode>,
);
