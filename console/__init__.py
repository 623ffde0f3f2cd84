"""The Streamlit console: router, sign-in, shared widgets and the HTTP routes of its own st.App."""
