-- The outbox names a no-show by its action kind, as the action's own tag does.
UPDATE outbox SET kind = 'no_show' WHERE kind = 'noshow';
