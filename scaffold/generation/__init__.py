"""Making an app: the wizard and its answers, rendering the template, lockfiles,
and tests generated for the app's code."""
