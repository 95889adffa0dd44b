-- The scene a broadcast goes on air with (a scene of the library by name; '' lets the camera
-- fill the picture), set from its template and changed in its checklist or from the CLI.
ALTER TABLE broadcast ADD COLUMN scene TEXT NOT NULL DEFAULT '';
