"""A multi-user to-do web application built on the bricolage packages."""
